#pragma once
// The HTTP seam of the HIS adapter: the FHIR client speaks to an HttpTransport, libcurl in production and
// fakes in unit tests. No FHIR knowledge here.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kiosk::his {

struct HttpRequest {
    std::string method = "GET";                 // GET, POST, PUT, DELETE
    std::string url;                            // absolute
    std::map<std::string, std::string> headers; // e.g. {"If-None-Exist", "identifier=sys|val"}
    std::string body;
    // When set, the request (and every transfer made for it, such as an OAuth2 token fetch) must be over
    // by then: what is left of it bounds the connect and total timeouts, and a request whose deadline has
    // passed is not sent (TransportError::Timeout). The caller owns its total wait this way.
    std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt;
};

enum class TransportError {
    None,
    Connect,     // DNS, refused, unreachable, TLS handshake or certificate problem
    Timeout,     // connect or total timeout
    Interrupted, // the connection dropped mid-request or mid-reply
    TooLarge,    // the reply exceeded the size cap
    Aborted,     // the kiosk is stopping (TransportOptions::stop): the transfer was cut short or not started
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

// A response that is no HTTP answer: `error` with `detail` (what the transports return when they fail).
[[nodiscard]] HttpResponse transport_failure(TransportError error, std::string detail);

// Percent-encodes a query value, an If-None-Exist header value or a form field (RFC 3986 unreserved
// characters kept, every other byte %XX; a space is %20, which form decoders read as a space too).
[[nodiscard]] std::string url_encode(std::string_view value);

// A service base URL without its trailing slashes ("https://his/fhir/R4/" -> "https://his/fhir/R4"), so
// that base + "/" + path never has two.
[[nodiscard]] std::string without_trailing_slashes(std::string base_url);

struct TransportOptions {
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds total_timeout{30000};
    std::size_t max_response_bytes = 16u * 1024u * 1024u;
    std::string ca_bundle;  // "" = the system's CA store; TLS verification is always on
    std::string user_agent; // e.g. "kiosk/0.1.0 (BVDK-DEMO/SANH-A-01)"
    // Shared by every transport of the process (sync, lookup, reference download, OAuth2 token): once it
    // reads true, transfers in flight are aborted within about a second and new ones are not started, so
    // the kiosk can stop without waiting for a request timeout. Null = never aborted. Must outlive the
    // transport.
    const std::atomic<bool>* stop = nullptr;
};

class HttpTransport {
public:
    virtual ~HttpTransport() = default;
    // Sends one request and waits for the reply (called from a worker thread, never the UI thread).
    virtual HttpResponse send(const HttpRequest& request) = 0;
};

// What one exchange says about the HIS link (the connectivity indicator and its counters).
enum class Exchange {
    Answered,           // an HTTP answer that is neither of the two below: the HIS is reachable
    Unreachable,        // no HTTP answer at all (network, DNS, TLS, timeout, a dropped connection)
    CredentialsRefused, // 401 or 403: the HIS (or its token endpoint) refuses the kiosk's credentials
    ServerError,        // 5xx, 429 or 408: the HIS is there but cannot serve us now
    Stopping,           // aborted because the kiosk is stopping: says nothing about the HIS
};
[[nodiscard]] Exchange classify_exchange(const HttpResponse& r);
[[nodiscard]] const char* exchange_name(Exchange e); // "answered", "unreachable", ... (logs, metrics)

// Hands every request to `inner` and tells `observer` how each exchange went (classify_exchange), on the
// calling thread, after the reply. Put it right over the CurlTransport (below OAuth2) so that token
// fetches are observed too.
class ObservedTransport final : public HttpTransport {
public:
    ObservedTransport(HttpTransport& inner, std::function<void(Exchange)> observer)
        : inner_(inner), observer_(std::move(observer)) {}
    HttpResponse send(const HttpRequest& request) override;

private:
    HttpTransport& inner_;
    std::function<void(Exchange)> observer_;
};

} // namespace kiosk::his
