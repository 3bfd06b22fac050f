#pragma once
// Local servers for transport tests, all on 127.0.0.1 and in-process:
//  - HttpTestServer: a real HTTP (or HTTPS) server, cpp-httplib on a background thread, with the requests
//    it received recorded for the test to inspect;
//  - RawServer: a bare TCP listener whose per-connection behaviour the test scripts (drop the connection,
//    send garbage, send a truncated reply, ...);
//  - unused_port(): a port nobody listens on.
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace kiosk::test {

inline sockaddr_in loopback(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

inline int bound_port(int fd) {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        throw std::runtime_error("getsockname failed");
    return ntohs(addr.sin_port);
}

// A TCP socket bound to 127.0.0.1 on an ephemeral port, not yet listening.
inline int bind_loopback_socket() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket() failed");
    const sockaddr_in addr = loopback(0);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("bind(127.0.0.1:0) failed");
    }
    return fd;
}

// A port on 127.0.0.1 that nobody listens on: bound by us, then released.
inline int unused_port() {
    const int fd = bind_loopback_socket();
    const int port = bound_port(fd);
    ::close(fd);
    return port;
}

// Reads from fd until the end of an HTTP request head ("\r\n\r\n"), EOF, or 5 s of silence.
inline std::string read_request_head(int fd) {
    std::string head;
    char buffer[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0) break;
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        head.append(buffer, static_cast<std::size_t>(n));
    }
    return head;
}

inline void send_all(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
        const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return; // the client went away; that is the client's business
        sent += static_cast<std::size_t>(n);
    }
}

// A TCP listener that runs `behaviour` on each accepted connection (one at a time), then closes it.
class RawServer {
public:
    using Behaviour = std::function<void(int client_fd)>;

    explicit RawServer(Behaviour behaviour) : behaviour_(std::move(behaviour)), fd_(bind_loopback_socket()) {
        if (::listen(fd_, 16) != 0) {
            ::close(fd_);
            throw std::runtime_error("listen() failed");
        }
        port_ = bound_port(fd_);
        thread_ = std::thread([this] { run(); });
    }
    ~RawServer() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    RawServer(const RawServer&) = delete;
    RawServer& operator=(const RawServer&) = delete;

    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] std::string url(const std::string& path = "/") const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    [[nodiscard]] int connections() const { return accepted_; }

private:
    void run() {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) continue;
            ++accepted_;
            behaviour_(client);
            ::close(client);
        }
    }

    Behaviour behaviour_;
    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> accepted_{0};
    std::thread thread_;
};

// A HIS that accepts connections and never answers in time: each connection has its request read, then is
// held open until the client gives up and closes it ("abandoned"), or, after `answer_after` (a bound far
// beyond what a test expects the client to wait), gets `late_reply` ("answered late"), so that a client
// that does not give up gets an answer the test can tell apart from giving up. No timing assertions are
// needed: the outcome says which happened.
class SilentServer {
public:
    explicit SilentServer(std::string late_reply =
                              "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n"
                              "Content-Length: 44\r\nConnection: close\r\n\r\n"
                              "{\"resourceType\":\"Bundle\",\"type\":\"searchset\"}",
                          std::chrono::milliseconds answer_after = std::chrono::seconds(60))
        : late_reply_(std::move(late_reply)), answer_after_(answer_after),
          raw_([this](int fd) { hold(fd); }) {}
    ~SilentServer() { closing_ = true; }
    SilentServer(const SilentServer&) = delete;
    SilentServer& operator=(const SilentServer&) = delete;

    [[nodiscard]] int port() const { return raw_.port(); }
    [[nodiscard]] std::string url(const std::string& path = "/") const { return raw_.url(path); }
    [[nodiscard]] int requests() const {
        const std::lock_guard lock(mutex_);
        return requests_;
    }
    [[nodiscard]] int abandoned() const { return abandoned_; }
    [[nodiscard]] int answered_late() const { return answered_late_; }
    // Waits until a request has arrived (true), or `limit` passed without one (false).
    bool wait_for_request(std::chrono::milliseconds limit) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, limit, [this] { return requests_ > 0; });
    }

private:
    void hold(int fd) {
        static_cast<void>(read_request_head(fd));
        {
            const std::lock_guard lock(mutex_);
            ++requests_;
        }
        cv_.notify_all();
        const auto until = std::chrono::steady_clock::now() + answer_after_;
        while (!closing_ && std::chrono::steady_clock::now() < until) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            char buffer[512];
            if (::recv(fd, buffer, sizeof buffer, 0) <= 0) {
                ++abandoned_;
                return;
            }
        }
        if (closing_) return;
        send_all(fd, late_reply_);
        ++answered_late_;
    }

    std::string late_reply_;
    std::chrono::milliseconds answer_after_;
    std::atomic<bool> closing_{false};
    std::atomic<int> abandoned_{0};
    std::atomic<int> answered_late_{0};
    int requests_ = 0; // guarded by mutex_
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    RawServer raw_; // last: its thread uses the members above
};

// What HttpTestServer saw of one request.
struct ReceivedRequest {
    std::string method;
    std::string path;
    httplib::Headers headers;
    std::string body;
    int remote_port = -1;

    [[nodiscard]] std::string header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
    [[nodiscard]] bool has_header(const std::string& name) const { return headers.count(name) > 0; }
};

// cpp-httplib on a background thread, bound to 127.0.0.1 on an ephemeral port. Register routes on
// server() (wrapping handlers with record() to keep what arrived), then start().
class HttpTestServer {
public:
    HttpTestServer() : HttpTestServer(std::make_unique<httplib::Server>()) {}
    explicit HttpTestServer(std::unique_ptr<httplib::Server> server) : server_(std::move(server)) {
        server_->set_keep_alive_timeout(2);
    }
    ~HttpTestServer() { stop(); }
    HttpTestServer(const HttpTestServer&) = delete;
    HttpTestServer& operator=(const HttpTestServer&) = delete;

    [[nodiscard]] httplib::Server& server() { return *server_; }

    void start() {
        if (!server_->is_valid()) throw std::runtime_error("the test server is not valid (TLS setup?)");
        port_ = server_->bind_to_any_port("127.0.0.1");
        if (port_ <= 0) throw std::runtime_error("cannot bind the test server to 127.0.0.1");
        thread_ = std::thread([this] { server_->listen_after_bind(); });
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!server_->is_running()) {
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error("test server did not start");
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    void stop() {
        if (!thread_.joinable()) return;
        server_->stop();
        thread_.join();
    }

    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] std::string url(const std::string& path, const std::string& scheme = "http") const {
        return scheme + "://127.0.0.1:" + std::to_string(port_) + path;
    }

    // Wraps a handler so that every request it serves is recorded first.
    httplib::Server::Handler record(httplib::Server::Handler handler) {
        return [this, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
            {
                const std::lock_guard lock(mutex_);
                received_.push_back({req.method, req.path, req.headers, req.body, req.remote_port});
            }
            handler(req, res);
        };
    }
    [[nodiscard]] std::vector<ReceivedRequest> received() const {
        const std::lock_guard lock(mutex_);
        return received_;
    }

private:
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    int port_ = 0;
    mutable std::mutex mutex_;
    std::vector<ReceivedRequest> received_;
};

} // namespace kiosk::test
