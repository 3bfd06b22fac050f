#pragma once
// OAuth 2.0 client-credentials authentication (RFC 6749 §4.4) for the HIS: a decorator over any
// HttpTransport that fetches a bearer token from the HIS's token endpoint and puts it on every request
// (RFC 6750 §2.1). Optional: a site whose HIS needs no token uses its transport directly.
#include "kiosk/core/clock.hpp"
#include "kiosk/his/http.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kiosk::his {

struct OAuth2Settings {
    std::string token_url;            // absolute, e.g. "https://his.example.vn/auth/realms/his/token"
    std::string client_id;            // the kiosk's client at the HIS's authorization server
    std::string client_secret;        // kept in memory only; never logged, never put in a message
    std::optional<std::string> scope; // space-separated; nullopt or "" = no scope parameter is sent
};

// A token is renewed when it has less than this left (or less than half its lifetime, if that is shorter,
// so that a server issuing very short-lived tokens does not make every request fetch a new one).
inline constexpr std::chrono::seconds kOAuth2RefreshMargin{30};
// The lifetime assumed when the token reply has no expires_in (it is only RECOMMENDED by RFC 6749).
inline constexpr std::chrono::seconds kOAuth2DefaultLifetime{300};

// Adds "Authorization: Bearer <token>" to every request and hands it to `inner`.
//
// The token: fetched on the first send(), and again when it is about to expire (see kOAuth2RefreshMargin)
// by POSTing "grant_type=client_credentials[&scope=...]" (application/x-www-form-urlencoded) to token_url,
// authenticated with HTTP Basic as RFC 6749 §2.3.1 says: base64(urlencode(client_id) ":"
// urlencode(client_secret)), where urlencode keeps ALPHA, DIGIT and "-._~" and writes every other byte of
// the UTF-8 text as %XX (a space as %20, which every form decoder reads as a space). The reply must be
// JSON with a non-empty access_token and a token_type of "Bearer" (any case); expires_in (seconds; a
// number or a string of digits) is optional.
//
// A 401 from the HIS drops the token: a new one is fetched and the request is sent once more. A second 401
// is returned as it is (there is never a loop), and the new token is kept for the next request.
//
// What send() returns when no token can be had (the inner transport is then not asked for the request):
//  - the token endpoint cannot be reached (error != None): that transport error, error_detail prefixed
//    with "OAuth2 token endpoint: ", so the caller treats the HIS as offline and retries later;
//  - the token endpoint refuses the kiosk (any 4xx except 408 and 429; e.g. invalid_client): status 401
//    with a FHIR OperationOutcome body whose diagnostics read "the HIS token endpoint refused the kiosk's
//    client credentials (<error>, <error_description>, HTTP <status>)";
//  - the token endpoint is busy or failing (408, 429, 5xx): that status, its Retry-After header, and an
//    OperationOutcome saying so;
//  - the token endpoint answers nonsense (a 2xx that is not a usable token reply: not JSON, no
//    access_token, token_type not Bearer, ...; or a 1xx/3xx): status 502 with an OperationOutcome
//    explaining what is wrong with the reply.
// Texts taken from the token endpoint's reply are cut short, have control characters replaced, and have
// any occurrence of the client secret masked. The token itself never appears in a message.
//
// Threads: like CurlTransport, an OAuth2Transport is used by ONE thread at a time (give each HIS worker
// thread its own, over its own CurlTransport); it holds no locks. `inner` and `clock` must outlive it.
//
// send() never throws.
class OAuth2Transport final : public HttpTransport {
public:
    OAuth2Transport(HttpTransport& inner, OAuth2Settings settings, const core::Clock& clock);

    OAuth2Transport(const OAuth2Transport&) = delete;
    OAuth2Transport& operator=(const OAuth2Transport&) = delete;
    OAuth2Transport(OAuth2Transport&&) = delete;
    OAuth2Transport& operator=(OAuth2Transport&&) = delete;
    ~OAuth2Transport() override = default;

    HttpResponse send(const HttpRequest& request) override;

private:
    struct Token {
        std::string access_token;
        core::UnixMillis refresh_at = 0; // renew from this instant on
    };

    // Fetches a token into token_ (within the deadline of the request it is for); returns the response
    // send() must give back when that fails.
    std::optional<HttpResponse> fetch_token(std::optional<std::chrono::steady_clock::time_point> deadline);
    HttpResponse send_with_token(const HttpRequest& request);
    HttpResponse send_unguarded(const HttpRequest& request);

    HttpTransport& inner_;
    OAuth2Settings settings_;
    const core::Clock& clock_;
    std::optional<Token> token_;
};

// Base64 of RFC 4648 §4 (the standard alphabet, with "=" padding, no line breaks).
[[nodiscard]] std::string base64_encode(std::string_view bytes);

} // namespace kiosk::his
