#pragma once
// The real FHIR R4 server of the integration tests (tests/fhir-server: Medplum's FhirRouter behind a small
// node:http adapter), started once per test binary on a free port of 127.0.0.1 and stopped at the end.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>

extern char** environ;

namespace kiosk::test {

class FhirServer {
public:
    FhirServer() {
        const std::string dir = std::string(KIOSK_SOURCE_DIR) + "/tests/fhir-server";
        if (::access((dir + "/node_modules/@medplum/fhir-router").c_str(), R_OK) != 0)
            throw std::runtime_error("the FHIR test server is not installed: run `npm ci` in " + dir +
                                     " (./deploy/dev test does this)");
        int fds[2];
        if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
        const std::string script = dir + "/server.js";
        const char* argv[] = {"node", script.c_str(), "--port", "0", "--host", "127.0.0.1", nullptr};
        const int rc = ::posix_spawnp(&pid_, "node", &fa, nullptr, const_cast<char* const*>(argv), environ);
        posix_spawn_file_actions_destroy(&fa);
        ::close(fds[1]);
        if (rc != 0) {
            ::close(fds[0]);
            throw std::runtime_error("cannot start node (install nodejs): " + std::to_string(rc));
        }
        // First stdout line: "... listening on http://127.0.0.1:PORT/fhir/R4 (...)".
        std::string line;
        char c = 0;
        while (::read(fds[0], &c, 1) == 1 && c != '\n')
            line += c;
        ::close(fds[0]);
        const auto at = line.find("http://");
        const auto end = line.find(' ', at);
        if (at == std::string::npos) {
            stop();
            throw std::runtime_error("the FHIR test server did not start: '" + line + "'");
        }
        base_ = line.substr(at, end - at);
    }
    ~FhirServer() { stop(); }
    FhirServer(const FhirServer&) = delete;
    FhirServer& operator=(const FhirServer&) = delete;

    [[nodiscard]] const std::string& base() const { return base_; } // e.g. http://127.0.0.1:41234/fhir/R4

private:
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }
    pid_t pid_ = -1;
    std::string base_;
};

} // namespace kiosk::test
