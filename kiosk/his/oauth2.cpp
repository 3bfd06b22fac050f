#include "kiosk/his/oauth2.hpp"

#include "kiosk/core/text.hpp"
#include "kiosk/his/json_text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <exception>
#include <utility>

namespace kiosk::his {

namespace {

constexpr std::size_t kMaxServerText = 200; // bytes of the token endpoint's own words kept in a message
constexpr std::int64_t kMaxLifetimeSeconds = 10LL * 366 * 24 * 3600; // longer is treated as this

void replace_all(std::string& text, std::string_view what, std::string_view with) {
    if (what.empty()) return;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size()))
        text.replace(at, what.size(), with);
}

std::string outcome_body(const char* code, const std::string& diagnostics) {
    const nlohmann::json outcome = {
        {"resourceType", "OperationOutcome"},
        {"issue", {{{"severity", "error"}, {"code", code}, {"diagnostics", diagnostics}}}}};
    // The diagnostics may quote the server, whose bytes need not be UTF-8: replaced, never thrown on.
    return outcome.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HttpResponse outcome_response(long status, const char* code, const std::string& diagnostics) {
    HttpResponse response;
    response.status = status;
    response.headers["content-type"] = "application/fhir+json";
    response.body = outcome_body(code, diagnostics);
    return response;
}

// How the lifetime in a token reply reads: nullopt = malformed.
std::optional<std::int64_t> lifetime_seconds(const nlohmann::json& reply) {
    const auto it = reply.find("expires_in");
    if (it == reply.end() || it->is_null()) return kOAuth2DefaultLifetime.count();
    if (it->is_number_unsigned()) {
        return static_cast<std::int64_t>(std::min<std::uint64_t>(
            it->get<std::uint64_t>(), static_cast<std::uint64_t>(kMaxLifetimeSeconds)));
    }
    if (it->is_number_integer()) { // signed, so negative here
        const auto value = it->get<std::int64_t>();
        if (value < 0) return std::nullopt;
        return std::min(value, kMaxLifetimeSeconds);
    }
    if (it->is_number_float()) {
        const double value = it->get<double>();
        if (!std::isfinite(value) || value < 0) return std::nullopt;
        return value >= static_cast<double>(kMaxLifetimeSeconds) ? kMaxLifetimeSeconds
                                                                 : static_cast<std::int64_t>(value);
    }
    if (it->is_string()) { // some servers send "3599"
        const auto& text = it->get_ref<const std::string&>();
        if (text.empty() || text.size() > 12 ||
            !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        return std::min<std::int64_t>(std::stoll(text), kMaxLifetimeSeconds);
    }
    return std::nullopt;
}

// RFC 6750's b64token is stricter, but RFC 6749 allows any visible ASCII in an access token: take that,
// without spaces, so the header line stays one well-formed credential.
bool header_safe_token(std::string_view token) {
    return !token.empty() &&
           std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 0x7F; });
}

HttpRequest with_bearer(const HttpRequest& request, const std::string& token) {
    HttpRequest out = request;
    std::erase_if(out.headers, [](const auto& header) {
        return core::equal_ignoring_ascii_case(header.first, "Authorization");
    });
    out.headers["Authorization"] = "Bearer " + token;
    return out;
}

// The client secret crosses the network only encrypted: https, or plain http to this machine itself.
bool secret_may_go_to(std::string_view url) {
    const auto starts = [&url](std::string_view prefix) {
        return core::starts_with_ignoring_ascii_case(url, prefix);
    };
    if (starts("https://")) return true;
    if (!starts("http://")) return false;
    std::string_view host = url.substr(7);
    host = host.substr(0, host.find_first_of("/?#"));
    if (host.find('@') != std::string_view::npos) return false;
    if (host.starts_with("[::1]")) return host.size() == 5 || host[5] == ':';
    host = host.substr(0, host.find(':'));
    return core::equal_ignoring_ascii_case(host, "localhost") || host.starts_with("127.");
}

} // namespace

std::string base64_encode(std::string_view bytes) {
    constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    const auto byte = [&bytes](std::size_t k) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k]));
    };
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t group = (byte(i) << 16u) | (byte(i + 1) << 8u) | byte(i + 2);
        out += kAlphabet[(group >> 18u) & 0x3Fu];
        out += kAlphabet[(group >> 12u) & 0x3Fu];
        out += kAlphabet[(group >> 6u) & 0x3Fu];
        out += kAlphabet[group & 0x3Fu];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        const std::uint32_t group = (byte(i) << 16u) | (rest == 2 ? byte(i + 1) << 8u : 0u);
        out += kAlphabet[(group >> 18u) & 0x3Fu];
        out += kAlphabet[(group >> 12u) & 0x3Fu];
        out += rest == 2 ? kAlphabet[(group >> 6u) & 0x3Fu] : '=';
        out += '=';
    }
    return out;
}

OAuth2Transport::OAuth2Transport(HttpTransport& inner, OAuth2Settings settings, const core::Clock& clock)
    : inner_(inner), settings_(std::move(settings)), clock_(clock) {}

HttpResponse OAuth2Transport::send(const HttpRequest& request) {
    try {
        return send_unguarded(request);
    } catch (const std::exception& e) { // bad_alloc and the like
        return transport_failure(TransportError::Other, std::string("OAuth2: ") + e.what());
    } catch (...) {
        return transport_failure(TransportError::Other, "OAuth2: unknown exception");
    }
}

HttpResponse OAuth2Transport::send_unguarded(const HttpRequest& request) {
    if (!token_ || clock_.now() >= token_->refresh_at) {
        token_.reset();
        if (auto failed = fetch_token(request.deadline)) return std::move(*failed);
    }
    HttpResponse response = send_with_token(request);
    if (response.error != TransportError::None || response.status != 401) return response;
    // The HIS no longer takes this token (revoked, keys rotated, clocks apart): one new token, one retry.
    token_.reset();
    if (auto failed = fetch_token(request.deadline)) return std::move(*failed);
    return send_with_token(request);
}

HttpResponse OAuth2Transport::send_with_token(const HttpRequest& request) {
    return inner_.send(with_bearer(request, token_->access_token));
}

std::optional<HttpResponse>
OAuth2Transport::fetch_token(std::optional<std::chrono::steady_clock::time_point> deadline) {
    if (!secret_may_go_to(settings_.token_url))
        return outcome_response(
            401, "security",
            "the kiosk does not send its client secret to the HIS token endpoint over plain "
            "http (token_url must start with https://)");
    const std::string credentials =
        url_encode(settings_.client_id) + ":" + url_encode(settings_.client_secret);

    HttpRequest request;
    request.method = "POST";
    request.url = settings_.token_url;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                       {"Accept", "application/json"},
                       {"Authorization", "Basic " + base64_encode(credentials)}};
    request.deadline = deadline; // the token is part of the request it is fetched for
    request.body = "grant_type=client_credentials";
    if (settings_.scope && !settings_.scope->empty())
        request.body += "&scope=" + url_encode(*settings_.scope);

    const core::UnixMillis asked_at = clock_.now();
    const HttpResponse reply = inner_.send(request);

    if (reply.error != TransportError::None)
        return transport_failure(reply.error, "OAuth2 token endpoint: " + reply.error_detail);

    // The server's own words, made fit for a message: no secret, no control characters, not too long.
    const auto server_text = [&](std::string text) {
        if (!settings_.client_secret.empty()) {
            replace_all(text, settings_.client_secret, "***");
            replace_all(text, url_encode(settings_.client_secret), "***");
            replace_all(text, base64_encode(credentials), "***");
        }
        for (auto& c : text)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
        if (text.size() > kMaxServerText) {
            std::size_t cut = kMaxServerText;
            while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0u) == 0x80u) // not mid-character
                --cut;
            text.resize(cut);
            text += "...";
        }
        return text;
    };
    const auto json = nlohmann::json::parse(reply.body, nullptr, false);
    // "(<error>, <error_description>, HTTP <status>)", leaving out what the server did not say.
    const auto why = [&] {
        std::string out = "(";
        for (const char* key : {"error", "error_description"}) {
            const std::string text = server_text(json_text(json, key));
            if (!text.empty()) out += text + ", ";
        }
        return out + "HTTP " + std::to_string(reply.status) + ")";
    };

    if (reply.status == 408 || reply.status == 429 || reply.status >= 500) {
        HttpResponse busy = outcome_response(reply.status, "transient",
                                             "the HIS token endpoint is unavailable " + why() +
                                                 "; the kiosk will try again later");
        if (const auto ra = reply.headers.find("retry-after"); ra != reply.headers.end())
            busy.headers["retry-after"] = server_text(ra->second);
        return busy;
    }
    if (reply.status >= 400)
        return outcome_response(401, "security",
                                "the HIS token endpoint refused the kiosk's client credentials " + why());
    const auto garbage = [](const std::string& what) {
        return outcome_response(502, "exception", "the HIS token endpoint " + what);
    };
    if (reply.status < 200 || reply.status >= 300)
        return garbage("answered HTTP " + std::to_string(reply.status) + " instead of a token");
    if (json.is_discarded() || !json.is_object())
        return garbage("sent a reply that is not a JSON object " + why());
    const std::string token = json_text(json, "access_token");
    if (token.empty()) return garbage("sent a reply without an access_token " + why());
    if (!header_safe_token(token)) return garbage("sent an access_token that cannot go into an HTTP header");
    const std::string type = json_text(json, "token_type");
    if (type.empty()) return garbage("sent a reply without a token_type " + why());
    if (!core::equal_ignoring_ascii_case(type, "Bearer"))
        return garbage("issued a token of type '" + server_text(type) +
                       "', but the kiosk only uses Bearer tokens");
    const auto lifetime = lifetime_seconds(json);
    if (!lifetime) return garbage("sent an expires_in that is not a number of seconds");

    // Counted from when the token was asked for: the reply's travel time is already part of its age.
    const std::int64_t lifetime_ms = *lifetime * 1000;
    const std::int64_t margin_ms =
        std::min<std::int64_t>(std::chrono::milliseconds(kOAuth2RefreshMargin).count(), lifetime_ms / 2);
    token_ = Token{token, asked_at + lifetime_ms - margin_ms};
    return std::nullopt;
}

} // namespace kiosk::his
