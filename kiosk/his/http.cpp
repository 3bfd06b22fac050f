#include "kiosk/his/http.hpp"

namespace kiosk::his {

HttpResponse transport_failure(TransportError error, std::string detail) {
    HttpResponse response;
    response.error = error;
    response.error_detail = std::move(detail);
    return response;
}

std::string url_encode(std::string_view value) {
    constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string out;
    out.reserve(value.size() * 3);
    for (const char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += kHex[byte >> 4u];
            out += kHex[byte & 0x0Fu];
        }
    }
    return out;
}

std::string without_trailing_slashes(std::string base_url) {
    while (!base_url.empty() && base_url.back() == '/')
        base_url.pop_back();
    return base_url;
}

std::string transport_text(const HttpResponse& r) {
    switch (r.error) {
    case TransportError::None:
        return "";
    case TransportError::Connect:
        return "cannot connect to the HIS: " + r.error_detail;
    case TransportError::Timeout:
        return "the HIS did not answer in time: " + r.error_detail;
    case TransportError::Interrupted:
        return "the connection to the HIS broke: " + r.error_detail;
    case TransportError::TooLarge:
        return "the HIS reply was too large: " + r.error_detail;
    case TransportError::Aborted:
        return "the request to the HIS was abandoned because the kiosk is stopping: " + r.error_detail;
    case TransportError::Other:
        return "HTTP error: " + r.error_detail;
    }
    return r.error_detail;
}

Exchange classify_exchange(const HttpResponse& r) {
    if (r.error == TransportError::Aborted) return Exchange::Stopping;
    if (r.error != TransportError::None) return Exchange::Unreachable;
    if (r.status == 401 || r.status == 403) return Exchange::CredentialsRefused;
    if (r.status >= 500 || r.status == 429 || r.status == 408) return Exchange::ServerError;
    return Exchange::Answered;
}

const char* exchange_name(Exchange e) {
    switch (e) {
    case Exchange::Answered:
        return "answered";
    case Exchange::Unreachable:
        return "unreachable";
    case Exchange::CredentialsRefused:
        return "credentials_refused";
    case Exchange::ServerError:
        return "server_error";
    case Exchange::Stopping:
        return "stopping";
    }
    return "unknown";
}

HttpResponse ObservedTransport::send(const HttpRequest& request) {
    HttpResponse response = inner_.send(request);
    if (observer_) observer_(classify_exchange(response));
    return response;
}

} // namespace kiosk::his
