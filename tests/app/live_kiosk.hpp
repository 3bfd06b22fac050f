#pragma once
// The real kiosk binary running in the background while a test acts on its data dir: the test reads the
// lines it prints on stdout (KIOSK_MEASURE marks a step of its script) and can SIGKILL it (a power cut).
#include "kiosk_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace kiosk::test {

class LiveKiosk {
public:
    // Starts the kiosk with `args` (split on spaces; no argument may hold one), stderr to `stderr_file`.
    LiveKiosk(const std::vector<std::string>& args, const std::filesystem::path& stderr_file) {
        std::vector<std::string> argv = {KIOSK_BINARY, "--assets", std::string(KIOSK_SOURCE_DIR) + "/assets"};
        argv.insert(argv.end(), args.begin(), args.end());
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
        posix_spawn_file_actions_addopen(&actions, 2, stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0600);
        // As run_kiosk: no leak checking in the kiosk process under ASan (SDL's dlopen()ed libraries).
        std::vector<std::string> env;
        for (char** e = environ; *e; ++e)
            if (std::strncmp(*e, "ASAN_OPTIONS=", 13) != 0) env.emplace_back(*e);
        const char* asan = std::getenv("ASAN_OPTIONS");
        env.push_back("ASAN_OPTIONS=" + std::string(asan ? asan : "") + ":detect_leaks=0");
        std::vector<char*> cargv, cenv;
        for (auto& a : argv)
            cargv.push_back(a.data());
        cargv.push_back(nullptr);
        for (auto& e : env)
            cenv.push_back(e.data());
        cenv.push_back(nullptr);
        const int rc = ::posix_spawn(&pid_, cargv[0], &actions, nullptr, cargv.data(), cenv.data());
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        if (rc != 0) {
            ::close(fds[0]);
            throw std::runtime_error(std::string("cannot start the kiosk: ") + std::strerror(rc));
        }
        out_ = fds[0];
    }
    ~LiveKiosk() {
        if (pid_ > 0) kill_and_wait();
        if (out_ >= 0) ::close(out_);
    }
    LiveKiosk(const LiveKiosk&) = delete;
    LiveKiosk& operator=(const LiveKiosk&) = delete;

    // The next stdout line starting with `prefix` (others are skipped); nullopt when the kiosk closed
    // stdout (exited) first, or after two minutes (a hung kiosk, not a slow one).
    std::optional<std::string> line_starting(const std::string& prefix) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
        for (;;) {
            for (auto nl = buffer_.find('\n'); nl != std::string::npos; nl = buffer_.find('\n')) {
                std::string line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                if (line.rfind(prefix, 0) == 0) return line;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{out_, POLLIN, 0};
            const int r = ::poll(&p, 1, static_cast<int>(left.count()));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return std::nullopt;
            char chunk[4096];
            const auto n = ::read(out_, chunk, sizeof chunk);
            if (n <= 0) return std::nullopt;
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    // Waits for the kiosk to exit by itself; its exit status (-1 when a signal ended it).
    int wait_exit() {
        if (pid_ <= 0) return -1;
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    // SIGKILL (a power cut for the kiosk's files), then reaps it; true when the signal is what ended it.
    bool kill_and_wait() {
        if (pid_ <= 0) return false;
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
        return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    }

private:
    pid_t pid_ = -1;
    int out_ = -1;
    std::string buffer_;
};

} // namespace kiosk::test
