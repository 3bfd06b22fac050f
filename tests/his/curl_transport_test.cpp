// CurlTransport against real servers on 127.0.0.1: cpp-httplib for well-behaved HTTP and HTTPS, raw sockets
// for servers that misbehave. No timing assertions: slow cases only check which error comes back.
#include "kiosk/his/curl_transport.hpp"

#include "his/fault_server.hpp"
#include "his/test_cert.hpp"
#include "temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

using kiosk::his::CurlTransport;
using kiosk::his::HttpRequest;
using kiosk::his::HttpResponse;
using kiosk::his::TransportError;
using kiosk::his::TransportOptions;
using kiosk::test::HttpTestServer;
using kiosk::test::RawServer;
using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Key;
using ::testing::Not;
using ::testing::Pair;
using namespace std::chrono_literals;

static_assert(!std::is_copy_constructible_v<CurlTransport> && !std::is_copy_assignable_v<CurlTransport>);
static_assert(std::is_nothrow_move_constructible_v<CurlTransport> &&
              std::is_nothrow_move_assignable_v<CurlTransport>);

constexpr std::size_t kCap = 64 * 1024;
constexpr const char* kUserAgent = "kiosk/0.1.0 (BVDK-TEST/UNIT-01)";

class TransportEnvironment : public ::testing::Environment {
public:
    void SetUp() override {
        // Debian's cpp-httplib writes without MSG_NOSIGNAL: its reply to a client that already gave up
        // (timeout, size cap) must not kill the test process. (libcurl itself never raises SIGPIPE on Linux.)
        std::signal(SIGPIPE, SIG_IGN);
        // Straight to 127.0.0.1, even on a machine with a proxy configured.
        ::setenv("no_proxy", "*", 1);
        ::setenv("NO_PROXY", "*", 1);
    }
};
[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new TransportEnvironment);

TransportOptions options(std::size_t cap = kCap) {
    TransportOptions o;
    o.connect_timeout = 5s;
    o.total_timeout = 30s;
    o.max_response_bytes = cap;
    o.user_agent = kUserAgent;
    return o;
}

HttpRequest request(std::string method, std::string url, std::string body = {},
                    std::map<std::string, std::string> headers = {}) {
    HttpRequest r;
    r.method = std::move(method);
    r.url = std::move(url);
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}
HttpRequest get(std::string url) {
    return request("GET", std::move(url));
}

std::string describe(const HttpResponse& r) {
    return "error=" + std::to_string(static_cast<int>(r.error)) + " detail='" + r.error_detail +
           "' status=" + std::to_string(r.status);
}

class CurlTransportTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto& s = http_.server();
        s.Get("/hello", http_.record([](const httplib::Request&, httplib::Response& res) {
            res.set_header("X-Kiosk-Test", "Mixed Case Value");
            res.set_content("hello, kiosk", "text/plain");
        }));
        const auto echo = http_.record([](const httplib::Request& req, httplib::Response& res) {
            res.set_header("X-Echo-Method", req.method);
            res.set_content(req.body, "application/octet-stream");
        });
        s.Get("/echo", echo);
        s.Post("/echo", echo);
        s.Put("/echo", echo);
        s.Patch("/echo", echo);
        s.Delete("/echo", echo);
        s.Post("/Patient", http_.record([](const httplib::Request&, httplib::Response& res) {
            res.status = 201;
            res.set_header("Location", "http://127.0.0.1/fhir/Patient/42/_history/1");
            res.set_content(R"({"resourceType":"Patient","id":"42"})", "application/fhir+json");
        }));
        s.Get(R"(/status/(\d+))", http_.record([](const httplib::Request& req, httplib::Response& res) {
            res.status = std::stoi(req.matches[1].str());
            res.set_content("status body " + req.matches[1].str(), "text/plain");
        }));
        s.Get("/moved", http_.record([](const httplib::Request&, httplib::Response& res) {
            res.set_redirect("/hello");
        }));
        s.Get("/repeated", http_.record([](const httplib::Request&, httplib::Response& res) {
            res.set_header("X-Repeat", "first");
            res.set_header("X-Repeat", "second");
            res.set_content("ok", "text/plain");
        }));
        // n bytes with a Content-Length; not compressible by content type.
        s.Get(R"(/bytes/(\d+))", http_.record([](const httplib::Request& req, httplib::Response& res) {
            res.set_content(std::string(std::stoul(req.matches[1].str()), 'x'), "application/octet-stream");
        }));
        // n bytes, chunked (no Content-Length).
        s.Get(R"(/chunked/(\d+))", http_.record([](const httplib::Request& req, httplib::Response& res) {
            const std::size_t n = std::stoul(req.matches[1].str());
            res.set_chunked_content_provider(
                "application/octet-stream", [n](std::size_t offset, httplib::DataSink& sink) {
                    if (offset >= n) {
                        sink.done();
                        return true;
                    }
                    const std::string chunk(std::min<std::size_t>(16384, n - offset), 'y');
                    return sink.write(chunk.data(), chunk.size());
                });
        }));
        // n bytes of text, which the server compresses when the client accepts gzip or br.
        s.Get(R"(/text/(\d+))", http_.record([](const httplib::Request& req, httplib::Response& res) {
            const std::size_t n = std::stoul(req.matches[1].str());
            std::string text;
            while (text.size() < n)
                text += "kiosk ";
            text.resize(n);
            res.set_content(text, "text/plain");
        }));
        // Answers only when the test ends (TearDown), i.e. long after any client timeout.
        s.Get("/slow", http_.record([this](const httplib::Request&, httplib::Response& res) {
            std::unique_lock lock(slow_mutex_);
            slow_cv_.wait_for(lock, 60s, [this] { return release_slow_; });
            res.set_content("late", "text/plain");
        }));
        http_.start();
    }

    void TearDown() override {
        {
            const std::lock_guard lock(slow_mutex_);
            release_slow_ = true;
        }
        slow_cv_.notify_all();
        http_.stop();
    }

    HttpTestServer http_;
    std::mutex slow_mutex_;
    std::condition_variable slow_cv_;
    bool release_slow_ = false;
};

// --- well-behaved server ----------------------------------------------------------------------------------

TEST_F(CurlTransportTest, GetReturnsStatusBodyAndLowerCaseHeaderNames) {
    CurlTransport transport(options());
    const HttpResponse r = transport.send(get(http_.url("/hello")));

    ASSERT_EQ(r.error, TransportError::None) << describe(r);
    EXPECT_TRUE(r.error_detail.empty());
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.body, "hello, kiosk");
    EXPECT_THAT(r.headers, Contains(Pair("x-kiosk-test", "Mixed Case Value")));
    EXPECT_THAT(r.headers, Contains(Pair("content-type", "text/plain")));
    for (const auto& [name, value] : r.headers) {
        EXPECT_TRUE(std::none_of(name.begin(), name.end(), [](unsigned char c) { return std::isupper(c); }))
            << name;
        EXPECT_EQ(value.find_first_of("\r\n"), std::string::npos) << name;
    }
}

TEST_F(CurlTransportTest, PostSendsBodyAndHeaders) {
    CurlTransport transport(options());
    const std::string body = R"({"resourceType":"Patient","name":[{"text":"Nguyễn Văn A"}]})";
    const HttpResponse r = transport.send(request(
        "POST", http_.url("/echo"), body,
        {{"Content-Type", "application/fhir+json"}, {"If-None-Exist", "identifier=urn:kiosk|T-0001"}}));

    ASSERT_EQ(r.error, TransportError::None) << describe(r);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, body);
    EXPECT_THAT(r.headers, Contains(Pair("x-echo-method", "POST")));
    const auto received = http_.received();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].method, "POST");
    EXPECT_EQ(received[0].body, body);
    EXPECT_EQ(received[0].header("Content-Type"), "application/fhir+json");
    EXPECT_EQ(received[0].header("If-None-Exist"), "identifier=urn:kiosk|T-0001");
    EXPECT_EQ(received[0].header("Content-Length"), std::to_string(body.size()));
}

TEST_F(CurlTransportTest, PutSendsBodyAndHeaders) {
    CurlTransport transport(options());
    const std::string body = R"({"resourceType":"Encounter","id":"e1","status":"arrived"})";
    const HttpResponse r =
        transport.send(request("PUT", http_.url("/echo"), body,
                               {{"Content-Type", "application/fhir+json"}, {"If-Match", "W/\"3\""}}));

    ASSERT_EQ(r.error, TransportError::None) << describe(r);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, body);
    EXPECT_THAT(r.headers, Contains(Pair("x-echo-method", "PUT")));
    const auto received = http_.received();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].method, "PUT");
    EXPECT_EQ(received[0].body, body);
    EXPECT_EQ(received[0].header("Content-Type"), "application/fhir+json");
    EXPECT_EQ(received[0].header("If-Match"), "W/\"3\"");
}

TEST_F(CurlTransportTest, LargeBinaryBodyArrivesWhole) {
    // 3 MiB with NUL bytes in it: the body is sent by size, not as a C string, and with no Expect round trip.
    std::string body(3u * 1024u * 1024u, '\0');
    for (std::size_t i = 0; i < body.size(); ++i)
        body[i] = static_cast<char>(i % 251);
    CurlTransport transport(options(16u * 1024u * 1024u));
    const HttpResponse r = transport.send(
        request("POST", http_.url("/echo"), body, {{"Content-Type", "application/octet-stream"}}));

    ASSERT_EQ(r.error, TransportError::None) << describe(r);
    EXPECT_EQ(r.body.size(), body.size());
    EXPECT_TRUE(r.body == body);
    const auto received = http_.received();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].body.size(), body.size());
    EXPECT_TRUE(received[0].body == body);
    EXPECT_FALSE(received[0].has_header("Expect"));
}

TEST_F(CurlTransportTest, CreatedReturnsLocation) {
    CurlTransport transport(options());
    const HttpResponse r =
        transport.send(request("POST", http_.url("/Patient"), R"({"resourceType":"Patient"})",
                               {{"Content-Type", "application/fhir+json"}}));

    ASSERT_EQ(r.error, TransportError::None) << describe(r);
    EXPECT_EQ(r.status, 201);
    EXPECT_TRUE(r.ok());
    EXPECT_THAT(r.headers, Contains(Pair("location", "http://127.0.0.1/fhir/Patient/42/_history/1")));
    EXPECT_EQ(r.body, R"({"resourceType":"Patient","id":"42"})");
}

TEST_F(CurlTransportTest, ErrorStatusesComeBackAsStatusWithBody) {
    CurlTransport transport(options());
    for (const int status : {404, 500}) {
        const HttpResponse r = transport.send(get(http_.url("/status/" + std::to_string(status))));
        EXPECT_EQ(r.error, TransportError::None) << describe(r);
        EXPECT_EQ(r.status, status);
        EXPECT_FALSE(r.ok());
        EXPECT_EQ(r.body, "status body " + std::to_string(status));
    }
}

TEST_F(CurlTransportTest, RedirectIsReturnedNotFollowed) {
    CurlTransport transport(options());
    const HttpResponse r = transport.send(get(http_.url("/moved")));

    ASSERT_EQ(r.error, TransportError::None) << describe(r);
    EXPECT_EQ(r.status, 302);
    EXPECT_THAT(r.headers, Contains(Pair("location", "/hello")));
    const auto received = http_.received();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].path, "/moved");
}

TEST_F(CurlTransportTest, RepeatedHeaderKeepsTheLast) {
    CurlTransport transport(options());
    const HttpResponse r = transport.send(get(http_.url("/repeated")));

    ASSERT_EQ(r.error, TransportError::None) << describe(r);
    EXPECT_THAT(r.headers, Contains(Pair("x-repeat", "second")));
}

TEST_F(CurlTransportTest, UserAgentAndAcceptEncodingArrive) {
    CurlTransport transport(options());
    const HttpResponse r = transport.send(get(http_.url("/echo")));

    ASSERT_EQ(r.error, TransportError::None) << describe(r);
    const auto received = http_.received();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].header("User-Agent"), kUserAgent);
    EXPECT_THAT(received[0].header("Accept-Encoding"), ::testing::HasSubstr("gzip"));
}

TEST_F(CurlTransportTest, CompressedReplyIsDecoded) {
    CurlTransport transport(options(1024u * 1024u));
    const HttpResponse r = transport.send(get(http_.url("/text/200000")));

    ASSERT_EQ(r.error, TransportError::None) << describe(r);
    ASSERT_THAT(r.headers, Contains(Key("content-encoding"))); // the server did compress
    EXPECT_EQ(r.body.size(), 200000u);
    EXPECT_EQ(r.body.substr(0, 12), "kiosk kiosk ");
}

// --- the size cap ---------------------------------------------------------------------------------------

TEST_F(CurlTransportTest, ReplyExactlyAtTheCapIsAccepted) {
    CurlTransport transport(options(kCap));
    const HttpResponse r = transport.send(get(http_.url("/bytes/" + std::to_string(kCap))));

    ASSERT_EQ(r.error, TransportError::None) << describe(r);
    EXPECT_EQ(r.body.size(), kCap);
}

TEST_F(CurlTransportTest, ReplyOverTheCapWithContentLengthIsTooLarge) {
    CurlTransport transport(options(kCap));
    const HttpResponse r = transport.send(get(http_.url("/bytes/" + std::to_string(kCap + 1))));

    EXPECT_EQ(r.error, TransportError::TooLarge) << describe(r);
    EXPECT_FALSE(r.error_detail.empty());
    EXPECT_EQ(r.status, 0);
    EXPECT_THAT(r.body, IsEmpty());
}

TEST(CurlTransport, DeclaredLengthOverTheCapIsTooLargeBeforeTheBodyArrives) {
    // The server announces more than the cap, sends a few bytes and hangs up: refused on the announcement
    // (without the early check this would be a truncated reply, Interrupted).
    RawServer raw([](int fd) {
        static_cast<void>(kiosk::test::read_request_head(fd));
        kiosk::test::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kCap * 100) +
                                      "\r\nContent-Type: application/octet-stream\r\n\r\n0123456789");
    });
    CurlTransport transport(options(kCap));
    const HttpResponse r = transport.send(get(raw.url()));

    EXPECT_EQ(r.error, TransportError::TooLarge) << describe(r);
    EXPECT_THAT(r.body, IsEmpty());
}

TEST_F(CurlTransportTest, ChunkedReplyUnderTheCapArrives) {
    CurlTransport transport(options(kCap));
    const HttpResponse r = transport.send(get(http_.url("/chunked/40000")));

    ASSERT_EQ(r.error, TransportError::None) << describe(r);
    EXPECT_THAT(r.headers, Contains(Pair("transfer-encoding", "chunked")));
    EXPECT_EQ(r.body, std::string(40000, 'y'));
}

TEST_F(CurlTransportTest, ChunkedReplyOverTheCapIsTooLarge) {
    CurlTransport transport(options(kCap));
    const HttpResponse r = transport.send(get(http_.url("/chunked/" + std::to_string(kCap * 16))));

    EXPECT_EQ(r.error, TransportError::TooLarge) << describe(r);
    EXPECT_THAT(r.body, IsEmpty());
}

TEST_F(CurlTransportTest, CapAppliesToTheDecodedBody) {
    // ~200 kB of text compresses far below the 64 kB cap; decoded it is over it.
    CurlTransport transport(options(kCap));
    const HttpResponse r = transport.send(get(http_.url("/text/200000")));

    EXPECT_EQ(r.error, TransportError::TooLarge) << describe(r);
}

TEST_F(CurlTransportTest, TransportIsUsableAfterTooLarge) {
    CurlTransport transport(options(kCap));
    ASSERT_EQ(transport.send(get(http_.url("/bytes/" + std::to_string(kCap * 4)))).error,
              TransportError::TooLarge);

    const HttpResponse r = transport.send(get(http_.url("/hello")));
    ASSERT_EQ(r.error, TransportError::None) << describe(r);
    EXPECT_EQ(r.body, "hello, kiosk");
}

// --- timeouts and unreachable servers -------------------------------------------------------------------

TEST_F(CurlTransportTest, SlowReplyIsTimeout) {
    TransportOptions o = options();
    o.total_timeout = 300ms;
    CurlTransport transport(o);
    const HttpResponse r = transport.send(get(http_.url("/slow")));

    EXPECT_EQ(r.error, TransportError::Timeout) << describe(r);
    EXPECT_FALSE(r.error_detail.empty());
    EXPECT_EQ(r.status, 0);

    const HttpResponse after = transport.send(get(http_.url("/hello")));
    ASSERT_EQ(after.error, TransportError::None) << describe(after);
    EXPECT_EQ(after.body, "hello, kiosk");
}

TEST(CurlTransport, RefusedConnectionIsConnect) {
    CurlTransport transport(options());
    const HttpResponse r = transport.send(
        get("http://127.0.0.1:" + std::to_string(kiosk::test::unused_port()) + "/fhir/metadata"));

    EXPECT_EQ(r.error, TransportError::Connect) << describe(r);
    EXPECT_FALSE(r.error_detail.empty());
}

// --- stopping and deadlines ------------------------------------------------------------------------------
// A server that accepts and never answers (SilentServer): without the stop flag or the deadline the
// transfer would wait for the 30 s timeout and get the server's late 200, so the outcome alone tells.

TEST(CurlTransport, StopFlagAbortsATransferThatHangs) {
    kiosk::test::SilentServer his("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", std::chrono::seconds(20));
    std::atomic<bool> stop{false};
    TransportOptions o = options();
    o.stop = &stop;
    CurlTransport transport(o);
    std::thread stopper([&] {
        if (his.wait_for_request(60s)) stop = true; // the request is in flight and hangs: the kiosk stops
    });
    const HttpResponse r = transport.send(get(his.url("/fhir/Patient")));
    stopper.join();

    EXPECT_EQ(r.error, TransportError::Aborted) << describe(r);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(his.answered_late(), 0) << "the transfer waited for the server instead of stopping";
    EXPECT_NE(kiosk::his::transport_text(r).find("stopping"), std::string::npos) << describe(r);
}

TEST(CurlTransport, StopFlagSetBeforeSendingSendsNothing) {
    kiosk::test::SilentServer his;
    std::atomic<bool> stop{true};
    TransportOptions o = options();
    o.stop = &stop;
    CurlTransport transport(o);
    const HttpResponse r = transport.send(get(his.url("/fhir/Patient")));
    EXPECT_EQ(r.error, TransportError::Aborted) << describe(r);
    EXPECT_EQ(his.requests(), 0);
}

TEST(CurlTransport, UnsetStopFlagChangesNothing) {
    std::atomic<bool> stop{false};
    RawServer raw([](int fd) {
        static_cast<void>(kiosk::test::read_request_head(fd));
        kiosk::test::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    });
    TransportOptions o = options();
    o.stop = &stop;
    CurlTransport transport(o);
    const HttpResponse r = transport.send(get(raw.url()));
    ASSERT_EQ(r.error, TransportError::None) << describe(r);
    EXPECT_EQ(r.body, "ok");
}

TEST(CurlTransport, RequestDeadlineCutsTheWaitShort) {
    kiosk::test::SilentServer his("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", std::chrono::seconds(20));
    CurlTransport transport(options()); // 30 s total timeout: only the deadline can end the wait early
    HttpRequest req = get(his.url("/fhir/Patient"));
    req.deadline = std::chrono::steady_clock::now() + 300ms;
    const HttpResponse r = transport.send(req);
    EXPECT_EQ(r.error, TransportError::Timeout) << describe(r);
    EXPECT_EQ(his.answered_late(), 0);
}

TEST(CurlTransport, PassedDeadlineIsNotSent) {
    RawServer raw([](int fd) {
        static_cast<void>(kiosk::test::read_request_head(fd));
        kiosk::test::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    });
    CurlTransport transport(options());
    HttpRequest late = get(raw.url());
    late.deadline = std::chrono::steady_clock::now() - 1ms;
    const HttpResponse r = transport.send(late);
    EXPECT_EQ(r.error, TransportError::Timeout) << describe(r);
    EXPECT_EQ(raw.connections(), 0);
    const HttpResponse next = transport.send(get(raw.url()));
    ASSERT_EQ(next.error, TransportError::None) << describe(next);
    EXPECT_EQ(next.body, "ok");
}

// --- misbehaving servers (raw sockets) ------------------------------------------------------------------

TEST(CurlTransport, ConnectionClosedWithoutReplyIsInterrupted) {
    RawServer raw([](int fd) { static_cast<void>(kiosk::test::read_request_head(fd)); });
    CurlTransport transport(options());
    const HttpResponse r = transport.send(get(raw.url("/fhir/Patient")));

    EXPECT_EQ(r.error, TransportError::Interrupted) << describe(r);
    EXPECT_GE(raw.connections(), 1);
}

TEST(CurlTransport, TruncatedReplyIsInterrupted) {
    RawServer raw([](int fd) {
        static_cast<void>(kiosk::test::read_request_head(fd));
        kiosk::test::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
    });
    CurlTransport transport(options());
    const HttpResponse r = transport.send(get(raw.url()));

    EXPECT_EQ(r.error, TransportError::Interrupted) << describe(r);
    EXPECT_THAT(r.body, IsEmpty());
}

TEST(CurlTransport, GarbageReplyIsAnErrorNotACrash) {
    RawServer raw([](int fd) {
        static_cast<void>(kiosk::test::read_request_head(fd));
        kiosk::test::send_all(fd, "HELLO\r\n\r\n");
    });
    CurlTransport transport(options());
    const HttpResponse r = transport.send(get(raw.url()));

    EXPECT_NE(r.error, TransportError::None) << describe(r);
    EXPECT_FALSE(r.error_detail.empty());
    EXPECT_EQ(r.status, 0);
    EXPECT_THAT(r.body, IsEmpty());
}

TEST(CurlTransport, HeaderValuesAreTrimmedAndNamesLowerCased) {
    RawServer raw([](int fd) {
        static_cast<void>(kiosk::test::read_request_head(fd));
        kiosk::test::send_all(fd,
                              "HTTP/1.1 200 OK\r\nX-Spaced:   padded value  \r\nCONTENT-TYPE:text/plain\r\n"
                              "Content-Length: 2\r\nConnection: close\r\n\r\nok");
    });
    CurlTransport transport(options());
    const HttpResponse r = transport.send(get(raw.url()));

    ASSERT_EQ(r.error, TransportError::None) << describe(r);
    EXPECT_EQ(r.body, "ok");
    EXPECT_THAT(r.headers, Contains(Pair("x-spaced", "padded value")));
    EXPECT_THAT(r.headers, Contains(Pair("content-type", "text/plain")));
}

TEST(CurlTransport, InterimReplyHeadersAreDropped) {
    RawServer raw([](int fd) {
        static_cast<void>(kiosk::test::read_request_head(fd));
        kiosk::test::send_all(
            fd, "HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n"
                "HTTP/1.1 200 OK\r\nX-Final: yes\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    });
    CurlTransport transport(options());
    const HttpResponse r = transport.send(get(raw.url()));

    ASSERT_EQ(r.error, TransportError::None) << describe(r);
    EXPECT_EQ(r.status, 200);
    EXPECT_THAT(r.headers, Contains(Key("x-final")));
    EXPECT_THAT(r.headers, Not(Contains(Key("x-interim"))));
}

// --- TLS: verification is always on ---------------------------------------------------------------------

TEST_F(CurlTransportTest, HttpsToPlainHttpServerIsConnect) {
    CurlTransport transport(options());
    const HttpResponse r = transport.send(get(http_.url("/hello", "https")));

    EXPECT_EQ(r.error, TransportError::Connect) << describe(r);
    EXPECT_THAT(http_.received(), IsEmpty());
}

class CurlTransportTlsTest : public ::testing::Test {
protected:
    // An HTTPS server presenting `cert`, answering GET /hello.
    void start(const kiosk::test::TestCert& cert) {
        https_ = std::make_unique<HttpTestServer>(
            std::make_unique<httplib::SSLServer>(cert.cert.get(), cert.key.get()));
        https_->server().Get("/hello", https_->record([](const httplib::Request&, httplib::Response& res) {
            res.set_content("hello over tls", "text/plain");
        }));
        https_->start();
    }

    kiosk::test::TempDir dir_;
    std::unique_ptr<HttpTestServer> https_;
};

TEST_F(CurlTransportTlsTest, CertificateTrustedThroughCaBundleIsAccepted) {
    const auto cert = kiosk::test::make_self_signed_cert("127.0.0.1", "IP:127.0.0.1");
    cert.write_pem(dir_ / "his-ca.pem");
    start(cert);
    TransportOptions o = options();
    o.ca_bundle = (dir_ / "his-ca.pem").string();
    CurlTransport transport(o);
    const HttpResponse r = transport.send(get(https_->url("/hello", "https")));

    ASSERT_EQ(r.error, TransportError::None) << describe(r);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello over tls");
}

TEST_F(CurlTransportTlsTest, SelfSignedCertificateIsRejected) {
    const auto cert = kiosk::test::make_self_signed_cert("127.0.0.1", "IP:127.0.0.1");
    start(cert);
    CurlTransport transport(options()); // the system's CA store does not know this certificate
    const HttpResponse r = transport.send(get(https_->url("/hello", "https")));

    EXPECT_EQ(r.error, TransportError::Connect) << describe(r);
    EXPECT_THAT(https_->received(), IsEmpty());
}

TEST_F(CurlTransportTlsTest, CertificateForAnotherHostIsRejected) {
    const auto cert = kiosk::test::make_self_signed_cert("his.invalid", "DNS:his.invalid");
    cert.write_pem(dir_ / "his-ca.pem");
    start(cert);
    TransportOptions o = options();
    o.ca_bundle = (dir_ / "his-ca.pem").string(); // trusted, but not for 127.0.0.1
    CurlTransport transport(o);
    const HttpResponse r = transport.send(get(https_->url("/hello", "https")));

    EXPECT_EQ(r.error, TransportError::Connect) << describe(r);
    EXPECT_THAT(https_->received(), IsEmpty());
}

// --- one handle, many requests --------------------------------------------------------------------------

TEST_F(CurlTransportTest, SequentialRequestsReuseTheConnection) {
    CurlTransport transport(options());
    ASSERT_EQ(transport.send(get(http_.url("/echo"))).error, TransportError::None);
    ASSERT_EQ(transport.send(request("POST", http_.url("/echo"), "{}")).error, TransportError::None);
    ASSERT_EQ(transport.send(get(http_.url("/echo"))).error, TransportError::None);

    const auto received = http_.received();
    ASSERT_EQ(received.size(), 3u);
    EXPECT_EQ(received[1].remote_port, received[0].remote_port);
    EXPECT_EQ(received[2].remote_port, received[0].remote_port);
}

TEST(CurlTransport, ServerClosingTheConnectionIsNotAnError) {
    HttpTestServer http;
    http.server().set_keep_alive_max_count(1); // "Connection: close" after every reply
    http.server().Get("/hello", http.record([](const httplib::Request&, httplib::Response& res) {
        res.set_content("hello", "text/plain");
    }));
    http.start();
    CurlTransport transport(options());
    const HttpResponse first = transport.send(get(http.url("/hello")));
    const HttpResponse second = transport.send(get(http.url("/hello")));

    ASSERT_EQ(first.error, TransportError::None) << describe(first);
    ASSERT_EQ(second.error, TransportError::None) << describe(second);
    EXPECT_EQ(second.body, "hello");
    const auto received = http.received();
    ASSERT_EQ(received.size(), 2u);
    EXPECT_NE(received[1].remote_port, received[0].remote_port); // really a second connection
}

TEST_F(CurlTransportTest, MethodBodyAndHeadersDoNotCarryOverBetweenRequests) {
    CurlTransport transport(options());
    const auto url = http_.url("/echo");
    ASSERT_EQ(transport.send(request("PUT", url, "put-body", {{"X-Only-Once", "1"}})).error,
              TransportError::None);
    ASSERT_EQ(transport.send(request("POST", url, "post-body")).error, TransportError::None);
    ASSERT_EQ(transport.send(request("PATCH", url, "patch-body")).error, TransportError::None);
    const HttpResponse got = transport.send(get(url));
    ASSERT_EQ(transport.send(request("DELETE", url)).error, TransportError::None);
    const HttpResponse head = transport.send(request("HEAD", url));
    ASSERT_EQ(transport.send(request("POST", url)).error, TransportError::None); // empty POST, after HEAD
    const HttpResponse got_again = transport.send(get(http_.url("/hello")));

    ASSERT_EQ(got.error, TransportError::None) << describe(got);
    EXPECT_THAT(got.headers, Contains(Pair("x-echo-method", "GET")));
    ASSERT_EQ(head.error, TransportError::None) << describe(head);
    EXPECT_THAT(head.body, IsEmpty());
    ASSERT_EQ(got_again.error, TransportError::None) << describe(got_again);
    EXPECT_EQ(got_again.body, "hello, kiosk");

    const auto received = http_.received();
    ASSERT_EQ(received.size(), 8u);
    const std::vector<std::pair<std::string, std::string>> expected = {{"PUT", "put-body"},
                                                                       {"POST", "post-body"},
                                                                       {"PATCH", "patch-body"},
                                                                       {"GET", ""},
                                                                       {"DELETE", ""},
                                                                       {"HEAD", ""},
                                                                       {"POST", ""},
                                                                       {"GET", ""}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(received[i].method, expected[i].first) << i;
        EXPECT_EQ(received[i].body, expected[i].second) << i;
    }
    EXPECT_TRUE(received[0].has_header("X-Only-Once"));
    for (std::size_t i = 1; i < received.size(); ++i)
        EXPECT_FALSE(received[i].has_header("X-Only-Once")) << i;
    for (const std::size_t i : {3u, 4u, 5u, 7u})
        EXPECT_FALSE(received[i].has_header("Content-Length") && received[i].header("Content-Length") != "0")
            << i;
    EXPECT_EQ(received[6].header("Content-Length"), "0");
}

TEST_F(CurlTransportTest, TransportsOnSeveralThreads) {
    constexpr int kThreads = 4;
    constexpr int kRequests = 5;
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
        threads.emplace_back([&] {
            CurlTransport transport(options()); // one transport per thread
            for (int j = 0; j < kRequests; ++j) {
                const HttpResponse r = transport.send(get(http_.url("/hello")));
                if (r.error == TransportError::None && r.body == "hello, kiosk") ++ok;
            }
        });
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(ok, kThreads * kRequests);
}

TEST_F(CurlTransportTest, MovedTransportKeepsWorking) {
    CurlTransport first(options());
    CurlTransport second(std::move(first));
    const HttpResponse r = second.send(get(http_.url("/hello")));
    ASSERT_EQ(r.error, TransportError::None) << describe(r);

    // NOLINTNEXTLINE(bugprone-use-after-move): a moved-from transport must fail cleanly, not crash
    const HttpResponse moved_from = first.send(get(http_.url("/hello")));
    EXPECT_EQ(moved_from.error, TransportError::Other);

    CurlTransport third(options());
    third = std::move(second);
    EXPECT_EQ(third.send(get(http_.url("/hello"))).error, TransportError::None);
}

// --- requests that must not leave the kiosk -------------------------------------------------------------

TEST_F(CurlTransportTest, MalformedRequestsAreNotSent) {
    CurlTransport transport(options());
    const std::vector<HttpRequest> bad = {
        request("GET /hello HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET", http_.url("/hello")),
        request("get", http_.url("/hello")),
        request("POST", http_.url("/echo"), "{}", {{"X-Note", "a\r\nX-Injected: 1"}}),
        request("POST", http_.url("/echo"), "{}", {{"Bad Name", "x"}}),
        request("GET", http_.url("/echo"), "a GET has no body"),
    };
    for (const auto& req : bad) {
        const HttpResponse r = transport.send(req);
        EXPECT_EQ(r.error, TransportError::Other) << req.method;
        EXPECT_FALSE(r.error_detail.empty());
    }
    EXPECT_THAT(http_.received(), IsEmpty());
}

TEST(CurlTransport, OnlyHttpAndHttpsUrlsAreFetched) {
    kiosk::test::TempDir dir;
    std::ofstream(dir / "secret.txt") << "not for the HIS";
    CurlTransport transport(options());
    const HttpResponse r = transport.send(get("file://" + (dir / "secret.txt").string()));

    EXPECT_EQ(r.error, TransportError::Other) << describe(r);
    EXPECT_THAT(r.body, IsEmpty());
}

} // namespace
