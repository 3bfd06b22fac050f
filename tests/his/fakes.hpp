#pragma once
// Test doubles for the HIS seams: a scripted HTTP transport and a scripted HIS.
#include "kiosk/his/his_port.hpp"
#include "kiosk/his/http.hpp"

#include <deque>
#include <functional>
#include <vector>

namespace kiosk::test {

// Answers each request with the next scripted response (or a handler), and records the requests.
class FakeTransport final : public his::HttpTransport {
public:
    std::function<his::HttpResponse(const his::HttpRequest&)> handler;
    std::vector<his::HttpRequest> requests;

    his::HttpResponse send(const his::HttpRequest& request) override {
        requests.push_back(request);
        return handler ? handler(request) : his::HttpResponse{};
    }
};

inline his::HttpResponse http(long status, std::string body = "",
                              std::map<std::string, std::string> headers = {}) {
    his::HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

inline his::HttpResponse unreachable() {
    his::HttpResponse r;
    r.error = his::TransportError::Connect;
    r.error_detail = "Connection refused";
    return r;
}

} // namespace kiosk::test
