#pragma once
// The HTTP seam of the HIS adapter: the FHIR client speaks to an HttpTransport, libcurl in production and
// fakes in unit tests. No FHIR knowledge here.
#include <chrono>
#include <map>
#include <string>

namespace kiosk::his {

struct HttpRequest {
    std::string method = "GET";                 // GET, POST, PUT, DELETE
    std::string url;                            // absolute
    std::map<std::string, std::string> headers; // e.g. {"If-None-Exist", "identifier=sys|val"}
    std::string body;
};

enum class TransportError {
    None,
    Connect,     // DNS, refused, unreachable, TLS handshake or certificate problem
    Timeout,     // connect or total timeout
    Interrupted, // the connection dropped mid-request or mid-reply
    TooLarge,    // the reply exceeded the size cap
    Other,
};

struct HttpResponse {
    TransportError error = TransportError::None;
    std::string error_detail;                   // curl's message when error != None
    long status = 0;                            // HTTP status when error == None
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;

    [[nodiscard]] bool ok() const { return error == TransportError::None && status >= 200 && status < 300; }
};

// For staff: what went wrong with the transport ("cannot connect to the HIS: ..."); "" when nothing did.
[[nodiscard]] std::string transport_text(const HttpResponse& r);

struct TransportOptions {
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds total_timeout{30000};
    std::size_t max_response_bytes = 16u * 1024u * 1024u;
    std::string ca_bundle;  // "" = the system's CA store; TLS verification is always on
    std::string user_agent; // e.g. "kiosk/0.1.0 (BVDK-DEMO/SANH-A-01)"
};

class HttpTransport {
public:
    virtual ~HttpTransport() = default;
    // Sends one request and waits for the reply (called from a worker thread, never the UI thread).
    virtual HttpResponse send(const HttpRequest& request) = 0;
};

} // namespace kiosk::his
