#pragma once
// The production HttpTransport: libcurl (OpenSSL flavour on Debian 12). curl's headers stay out of this
// header; kiosk_his links libcurl privately.
#include "kiosk/his/http.hpp"

#include <memory>
#include <stdexcept>

namespace kiosk::his {

// Thrown only by the CurlTransport constructor, when libcurl cannot be initialised or refuses one of the
// fixed options (e.g. a libcurl too old to restrict protocols). Never thrown by send().
class TransportInitError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One libcurl easy handle, reused for every request so that connections (and TLS sessions) to the HIS are
// kept alive between requests.
//
// Threads: a CurlTransport is used by ONE thread at a time (the HIS worker); it holds no locks. Give each
// worker thread its own CurlTransport. Constructing transports on several threads at once is safe:
// curl_global_init runs exactly once per process (a function-local static), and is never undone.
//
// Security, fixed at construction and not switchable: TLS peer and host-name verification are always on
// (ca_bundle only chooses the trust store), only http:// and https:// URLs are allowed, redirects are not
// followed. libcurl honours the usual proxy environment variables (https_proxy, no_proxy, ...).
//
// send() never throws for network problems; it reports them in HttpResponse::error. When error != None,
// status is 0 and body and headers are empty (a partial reply is never handed on). A request whose method
// is not an upper-case token, or whose header names/values contain CR/LF, is not sent (error Other).
class CurlTransport final : public HttpTransport {
public:
    explicit CurlTransport(TransportOptions options);
    ~CurlTransport() override;

    CurlTransport(CurlTransport&&) noexcept;
    CurlTransport& operator=(CurlTransport&&) noexcept;
    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;

    // Sends one request and waits for the reply, within options.total_timeout (and the request's deadline,
    // if it has one: then error Timeout, without sending when it has already passed). Once options.stop
    // reads true, a transfer in flight ends within about a second with error Aborted, and no new one
    // starts. A moved-from transport answers every request with error Other.
    HttpResponse send(const HttpRequest& request) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace kiosk::his
