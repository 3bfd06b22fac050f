// OAuth2Transport: unit tests over FakeTransport with a ManualClock, and end-to-end tests through a real
// CurlTransport against cpp-httplib on 127.0.0.1.
#include "kiosk/his/oauth2.hpp"

#include "kiosk/his/curl_transport.hpp"
#include "kiosk/his/fhir_his.hpp"

#include "his/fakes.hpp"
#include "his/fault_server.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using kiosk::core::ManualClock;
using kiosk::his::HttpRequest;
using kiosk::his::HttpResponse;
using kiosk::his::OAuth2Settings;
using kiosk::his::OAuth2Transport;
using kiosk::his::TransportError;
using kiosk::test::FakeTransport;
using kiosk::test::http;
using ::testing::HasSubstr;
using ::testing::Not;

static_assert(!std::is_copy_constructible_v<OAuth2Transport> &&
              !std::is_move_constructible_v<OAuth2Transport>);

constexpr const char* kTokenUrl = "https://his.test/auth/token";
constexpr const char* kApiUrl = "https://his.test/fhir/R4/Patient?identifier=sys%7C123";
constexpr const char* kClientId = "kiosk-sanh-a-01";
constexpr const char* kSecret = "s3cret-Ky0sk";
constexpr kiosk::core::UnixMillis kStart = 1'795'480'200'000;
constexpr kiosk::core::UnixMillis kSecond = 1000;

std::string token_reply(const std::string& token, std::optional<long long> expires_in = 3600,
                        const std::string& type = "Bearer") {
    nlohmann::json j = {{"access_token", token}, {"token_type", type}};
    if (expires_in) j["expires_in"] = *expires_in;
    return j.dump();
}

// The diagnostics of an OperationOutcome body, or "" when the body is not one.
std::string diagnostics(const HttpResponse& r) {
    return kiosk::his::operation_outcome_text(r.body);
}

// A FakeTransport wired as token endpoint + HIS: token requests get `token_handler` (by default a new
// "tok-N" for an hour each time), the rest get `api_handler` (by default 200, "ok").
class OAuth2TransportTest : public ::testing::Test {
protected:
    OAuth2TransportTest() {
        inner_.handler = [this](const HttpRequest& request) {
            return request.url == kTokenUrl ? token_handler(request) : api_handler(request);
        };
    }

    [[nodiscard]] OAuth2Settings settings(std::optional<std::string> scope = "system/Patient.read") const {
        return OAuth2Settings{kTokenUrl, kClientId, kSecret, std::move(scope)};
    }
    [[nodiscard]] std::vector<HttpRequest> token_requests() const { return of(true); }
    [[nodiscard]] std::vector<HttpRequest> api_requests() const { return of(false); }
    static HttpRequest api_get() {
        HttpRequest r;
        r.url = kApiUrl;
        r.headers = {{"Accept", "application/fhir+json"}};
        return r;
    }
    static std::string bearer(const HttpRequest& r) {
        const auto it = r.headers.find("Authorization");
        return it == r.headers.end() ? std::string() : it->second;
    }

    std::function<HttpResponse(const HttpRequest&)> token_handler = [this](const HttpRequest&) {
        return http(200, token_reply("tok-" + std::to_string(++tokens_issued_)),
                    {{"content-type", "application/json"}});
    };
    std::function<HttpResponse(const HttpRequest&)> api_handler = [](const HttpRequest&) {
        return http(200, "ok");
    };
    FakeTransport inner_;
    ManualClock clock_{kStart};
    int tokens_issued_ = 0;

private:
    [[nodiscard]] std::vector<HttpRequest> of(bool token) const {
        std::vector<HttpRequest> out;
        for (const auto& r : inner_.requests)
            if ((r.url == kTokenUrl) == token) out.push_back(r);
        return out;
    }
};

// ---- base64 ----

TEST(OAuth2Base64, Rfc4648TestVectors) { // RFC 4648 §10
    using kiosk::his::base64_encode;
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
    EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(OAuth2Base64, HighAndZeroBytesUseTheStandardAlphabet) {
    using kiosk::his::base64_encode;
    EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
    EXPECT_EQ(base64_encode("\xff\xff\xff"), "////");
    EXPECT_EQ(base64_encode(std::string_view("\0\0\0\0", 4)), "AAAAAA==");
    EXPECT_EQ(base64_encode("Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="); // RFC 7617's example
}

// ---- the token ----

TEST_F(OAuth2TransportTest, OneTokenIsFetchedAndReusedForSeveralRequests) {
    OAuth2Transport t(inner_, settings(), clock_);
    for (int i = 0; i < 3; ++i) {
        const auto r = t.send(api_get());
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, "ok");
        clock_.advance(60 * kSecond);
    }
    EXPECT_EQ(token_requests().size(), 1u);
    const auto api = api_requests();
    ASSERT_EQ(api.size(), 3u);
    for (const auto& r : api)
        EXPECT_EQ(bearer(r), "Bearer tok-1");
    ASSERT_EQ(inner_.requests.size(), 4u);
    EXPECT_EQ(inner_.requests.front().url, kTokenUrl); // the token comes first
}

TEST_F(OAuth2TransportTest, TokenRequestIsAFormPostWithHttpBasicClientAuthentication) {
    OAuth2Transport t(inner_, settings("system/Patient.read system/Encounter.write"), clock_);
    ASSERT_TRUE(t.send(api_get()).ok());
    const auto tokens = token_requests();
    ASSERT_EQ(tokens.size(), 1u);
    const auto& r = tokens[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.url, kTokenUrl);
    EXPECT_EQ(r.headers.at("Content-Type"), "application/x-www-form-urlencoded");
    EXPECT_EQ(r.headers.at("Accept"), "application/json");
    // base64("kiosk-sanh-a-01:s3cret-Ky0sk"): nothing to escape in either.
    EXPECT_EQ(r.headers.at("Authorization"), "Basic a2lvc2stc2FuaC1hLTAxOnMzY3JldC1LeTBzaw==");
    EXPECT_EQ(r.body, "grant_type=client_credentials&scope=system%2FPatient.read%20system%2FEncounter.write");
    // The secret goes only in the Authorization header, never in the body.
    EXPECT_THAT(r.body, Not(HasSubstr(kSecret)));
}

TEST_F(OAuth2TransportTest, NoScopeParameterWhenNoScopeIsConfigured) {
    for (const std::optional<std::string>& scope :
         {std::optional<std::string>{}, std::optional<std::string>{""}}) {
        inner_.requests.clear();
        OAuth2Transport t(inner_, settings(scope), clock_);
        ASSERT_TRUE(t.send(api_get()).ok());
        ASSERT_EQ(token_requests().size(), 1u);
        EXPECT_EQ(token_requests()[0].body, "grant_type=client_credentials");
    }
}

TEST_F(OAuth2TransportTest, BasicAuthPercentEncodesIdAndSecretBeforeBase64) {
    OAuth2Transport t(inner_, OAuth2Settings{kTokenUrl, "kiosk:01", "pässwörd:ü %/+~", std::nullopt}, clock_);
    ASSERT_TRUE(t.send(api_get()).ok());
    ASSERT_EQ(token_requests().size(), 1u);
    // base64("kiosk%3A01:p%C3%A4ssw%C3%B6rd%3A%C3%BC%20%25%2F%2B~"): the ':' inside id and secret escaped,
    // so only the separator is a ':'; UTF-8 bytes as %XX; unreserved '~' as it is.
    EXPECT_EQ(token_requests()[0].headers.at("Authorization"),
              "Basic a2lvc2slM0EwMTpwJUMzJUE0c3N3JUMzJUI2cmQlM0ElQzMlQkMlMjAlMjUlMkYlMkJ+");
}

TEST_F(OAuth2TransportTest, TheRequestPassesThroughWithOnlyTheBearerAdded) {
    OAuth2Transport t(inner_, settings(), clock_);
    HttpRequest request;
    request.method = "POST";
    request.url = "https://his.test/fhir/R4/Encounter";
    request.headers = {{"Content-Type", "application/fhir+json"},
                       {"If-None-Exist", "identifier=a%7Cb"},
                       {"authorization", "Basic c3RhbGU="}}; // a stale one of the caller's: replaced
    request.body = R"({"resourceType":"Encounter"})";
    api_handler = [](const HttpRequest&) { return http(201, "{}", {{"location", "Encounter/1"}}); };
    const auto r = t.send(request);
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(r.headers.at("location"), "Encounter/1");
    const auto api = api_requests();
    ASSERT_EQ(api.size(), 1u);
    EXPECT_EQ(api[0].method, "POST");
    EXPECT_EQ(api[0].url, request.url);
    EXPECT_EQ(api[0].body, request.body);
    const std::map<std::string, std::string> expected = {{"Authorization", "Bearer tok-1"},
                                                         {"Content-Type", "application/fhir+json"},
                                                         {"If-None-Exist", "identifier=a%7Cb"}};
    EXPECT_EQ(api[0].headers, expected);
}

TEST_F(OAuth2TransportTest, TokenIsRenewedWhenItsExpiryIsWithinThirtySeconds) {
    OAuth2Transport t(inner_, settings(), clock_); // tokens for 3600 s
    ASSERT_TRUE(t.send(api_get()).ok());
    clock_.advance(3569 * kSecond); // 31 s left: still used
    ASSERT_TRUE(t.send(api_get()).ok());
    EXPECT_EQ(token_requests().size(), 1u);
    clock_.advance(1 * kSecond); // 30 s left: renewed first
    ASSERT_TRUE(t.send(api_get()).ok());
    EXPECT_EQ(token_requests().size(), 2u);
    ASSERT_EQ(api_requests().size(), 3u);
    EXPECT_EQ(bearer(api_requests()[1]), "Bearer tok-1");
    EXPECT_EQ(bearer(api_requests()[2]), "Bearer tok-2");
    clock_.advance(3569 * kSecond); // the new token's hour counts from when it was fetched
    ASSERT_TRUE(t.send(api_get()).ok());
    EXPECT_EQ(token_requests().size(), 2u);
}

TEST_F(OAuth2TransportTest, ShortLivedTokensAreRenewedAtHalfTheirLifetime) {
    token_handler = [this](const HttpRequest&) {
        return http(200, token_reply("tok-" + std::to_string(++tokens_issued_), 40));
    };
    OAuth2Transport t(inner_, settings(), clock_);
    ASSERT_TRUE(t.send(api_get()).ok());
    clock_.advance(19 * kSecond);
    ASSERT_TRUE(t.send(api_get()).ok());
    EXPECT_EQ(tokens_issued_, 1);
    clock_.advance(1 * kSecond);
    ASSERT_TRUE(t.send(api_get()).ok());
    EXPECT_EQ(tokens_issued_, 2);
}

TEST_F(OAuth2TransportTest, WithoutExpiresInATokenIsTakenForFiveMinutes) {
    token_handler = [this](const HttpRequest&) {
        return http(200, token_reply("tok-" + std::to_string(++tokens_issued_), std::nullopt));
    };
    OAuth2Transport t(inner_, settings(), clock_);
    ASSERT_TRUE(t.send(api_get()).ok());
    clock_.advance(269 * kSecond);
    ASSERT_TRUE(t.send(api_get()).ok());
    EXPECT_EQ(tokens_issued_, 1);
    clock_.advance(1 * kSecond); // 300 - 30
    ASSERT_TRUE(t.send(api_get()).ok());
    EXPECT_EQ(tokens_issued_, 2);
}

TEST_F(OAuth2TransportTest, ExpiresInAsAStringOfDigitsAndTokenTypeInAnyCaseAreAccepted) {
    token_handler = [this](const HttpRequest&) {
        ++tokens_issued_;
        return http(200, R"({"access_token":"abc.DEF-123_~+/=","token_type":"bEaReR","expires_in":"600"})");
    };
    OAuth2Transport t(inner_, settings(), clock_);
    ASSERT_TRUE(t.send(api_get()).ok());
    EXPECT_EQ(bearer(api_requests()[0]), "Bearer abc.DEF-123_~+/=");
    clock_.advance(569 * kSecond);
    ASSERT_TRUE(t.send(api_get()).ok());
    EXPECT_EQ(tokens_issued_, 1);
    clock_.advance(1 * kSecond);
    ASSERT_TRUE(t.send(api_get()).ok());
    EXPECT_EQ(tokens_issued_, 2);
}

// ---- 401 from the HIS ----

TEST_F(OAuth2TransportTest, A401FromTheHisTriggersExactlyOneRefreshAndOneRetry) {
    OAuth2Transport t(inner_, settings(), clock_);
    ASSERT_TRUE(t.send(api_get()).ok()); // tok-1, cached
    api_handler = [](const HttpRequest& r) {
        return bearer(r) == "Bearer tok-1" ? http(401, "token revoked") : http(200, "again ok");
    };
    const auto r = t.send(api_get());
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "again ok");
    EXPECT_EQ(token_requests().size(), 2u);
    const auto api = api_requests();
    ASSERT_EQ(api.size(), 3u);
    EXPECT_EQ(bearer(api[1]), "Bearer tok-1");
    EXPECT_EQ(bearer(api[2]), "Bearer tok-2");
    // The new token is the one kept.
    ASSERT_TRUE(t.send(api_get()).ok());
    EXPECT_EQ(token_requests().size(), 2u);
    EXPECT_EQ(bearer(api_requests().back()), "Bearer tok-2");
}

TEST_F(OAuth2TransportTest, TokenFetchesShareTheDeadlineOfTheRequestTheyAreFor) {
    // A patient lookup owns its total wait: the token fetch (first, and again after a 401) is part of it.
    OAuth2Transport t(inner_, settings(), clock_);
    api_handler = [](const HttpRequest& r) {
        return bearer(r) == "Bearer tok-1" ? http(401, "token revoked") : http(200, "ok");
    };
    HttpRequest req = api_get();
    req.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    ASSERT_TRUE(t.send(req).ok());
    const auto tokens = token_requests();
    ASSERT_EQ(tokens.size(), 2u);
    for (const auto& token : tokens)
        EXPECT_EQ(token.deadline, req.deadline);
    for (const auto& api : api_requests())
        EXPECT_EQ(api.deadline, req.deadline);
    // A request without a deadline fetches its token without one.
    OAuth2Transport fresh(inner_, settings(), clock_);
    ASSERT_TRUE(fresh.send(api_get()).ok());
    EXPECT_FALSE(token_requests().back().deadline);
}

TEST_F(OAuth2TransportTest, ASecond401IsReturnedAsItIs) {
    api_handler = [](const HttpRequest&) {
        return http(401, R"({"resourceType":"OperationOutcome"})", {{"www-authenticate", "Bearer"}});
    };
    OAuth2Transport t(inner_, settings(), clock_);
    const auto r = t.send(api_get());
    EXPECT_EQ(r.error, TransportError::None);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.body, R"({"resourceType":"OperationOutcome"})");
    EXPECT_EQ(r.headers.at("www-authenticate"), "Bearer");
    // token, API (401), token, API (401): then it stops.
    ASSERT_EQ(inner_.requests.size(), 4u);
    EXPECT_EQ(token_requests().size(), 2u);
    EXPECT_EQ(api_requests().size(), 2u);
}

TEST_F(OAuth2TransportTest, OtherRefusalsAreNotRetried) {
    for (const long status : {403L, 400L, 404L, 500L}) {
        inner_.requests.clear();
        api_handler = [status](const HttpRequest&) { return http(status, "no"); };
        OAuth2Transport t(inner_, settings(), clock_);
        EXPECT_EQ(t.send(api_get()).status, status);
        EXPECT_EQ(inner_.requests.size(), 2u) << status;
    }
}

// ---- the token endpoint fails ----

TEST_F(OAuth2TransportTest, RefusedClientCredentialsBecomeA401OperationOutcomeWithoutTheSecret) {
    // A secret that reads differently percent-encoded; the Basic credentials are base64 of
    // "kiosk-sanh-a-01:s3cr%3At%2FKy0sk".
    const std::string secret = "s3cr:t/Ky0sk";
    const std::string encoded = "s3cr%3At%2FKy0sk";
    const std::string basic = "a2lvc2stc2FuaC1hLTAxOnMzY3IlM0F0JTJGS3kwc2s=";
    for (const long status : {400L, 401L}) {
        inner_.requests.clear();
        token_handler = [&, status](const HttpRequest& request) {
            EXPECT_EQ(request.headers.at("Authorization"), "Basic " + basic);
            // A careless server that echoes what it got, the secret among it, in every form.
            return http(status,
                        nlohmann::json{{"error", "invalid_client"},
                                       {"error_description",
                                        "bad secret " + secret + " or " + encoded + " / Basic " + basic}}
                            .dump(),
                        {{"www-authenticate", "Basic realm=\"his\""}});
        };
        OAuth2Transport t(inner_, OAuth2Settings{kTokenUrl, kClientId, secret, std::nullopt}, clock_);
        const auto r = t.send(api_get());
        EXPECT_EQ(r.error, TransportError::None);
        EXPECT_EQ(r.status, 401);
        const auto body = nlohmann::json::parse(r.body);
        EXPECT_EQ(body["resourceType"], "OperationOutcome");
        EXPECT_EQ(body["issue"][0]["severity"], "error");
        EXPECT_EQ(diagnostics(r),
                  "the HIS token endpoint refused the kiosk's client credentials (invalid_client, "
                  "bad secret *** or *** / Basic ***, HTTP " +
                      std::to_string(status) + ")");
        for (const auto& s : {r.body, r.error_detail})
            for (const auto& leak : {secret, encoded, basic, std::string("s3cr")})
                EXPECT_THAT(s, Not(HasSubstr(leak)));
        for (const auto& [name, value] : r.headers)
            EXPECT_THAT(value, Not(HasSubstr("s3cr"))) << name;
        EXPECT_TRUE(api_requests().empty()); // nothing went to the HIS without a token
    }
}

TEST_F(OAuth2TransportTest, ARefusalWithoutAJsonBodyStillSaysWhoRefused) {
    token_handler = [](const HttpRequest&) { return http(403, "<html>Forbidden</html>"); };
    OAuth2Transport t(inner_, settings(), clock_);
    const auto r = t.send(api_get());
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(diagnostics(r), "the HIS token endpoint refused the kiosk's client credentials (HTTP 403)");
}

TEST_F(OAuth2TransportTest, TokenTypeOtherThanBearerIsAnError) {
    token_handler = [this](const HttpRequest&) {
        ++tokens_issued_;
        return http(200, token_reply("mac-token", 3600, "mac"));
    };
    OAuth2Transport t(inner_, settings(), clock_);
    const auto r = t.send(api_get());
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error, TransportError::None);
    EXPECT_EQ(r.status, 502);
    EXPECT_THAT(diagnostics(r), HasSubstr("token of type 'mac'"));
    EXPECT_THAT(r.body, Not(HasSubstr("mac-token")));
    EXPECT_TRUE(api_requests().empty());
    // Not cached: the next request asks again.
    static_cast<void>(t.send(api_get()));
    EXPECT_EQ(tokens_issued_, 2);
    EXPECT_TRUE(api_requests().empty());
}

TEST_F(OAuth2TransportTest, GarbageTokenRepliesAreErrorsAndNothingIsSentToTheHis) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"not json at all", "not a JSON object"},
        {"[1,2]", "not a JSON object"},
        {R"({"token_type":"Bearer"})", "without an access_token"},
        {R"({"error":"temporarily_unavailable","token_type":"Bearer"})",
         "without an access_token (temporarily_unavailable, HTTP 200)"},
        {R"({"access_token":42,"token_type":"Bearer"})", "without an access_token"},
        {R"({"access_token":"a b","token_type":"Bearer"})", "cannot go into an HTTP header"},
        {R"({"access_token":"ab\r\nX-Evil: 1","token_type":"Bearer"})", "cannot go into an HTTP header"},
        {R"({"access_token":"ab"})", "without a token_type"},
        {R"({"access_token":"ab","token_type":"Bearer","expires_in":-5})", "expires_in"},
        {R"({"access_token":"ab","token_type":"Bearer","expires_in":"soon"})", "expires_in"},
    };
    for (const auto& [reply, why] : cases) {
        inner_.requests.clear();
        token_handler = [&reply = reply](const HttpRequest&) { return http(200, reply); };
        OAuth2Transport t(inner_, settings(), clock_);
        const auto r = t.send(api_get());
        EXPECT_EQ(r.status, 502) << reply;
        EXPECT_THAT(diagnostics(r), HasSubstr("the HIS token endpoint")) << reply;
        EXPECT_THAT(diagnostics(r), HasSubstr(why)) << reply;
        EXPECT_TRUE(api_requests().empty()) << reply;
    }
}

TEST_F(OAuth2TransportTest, ARedirectFromTheTokenEndpointIsAnError) {
    token_handler = [](const HttpRequest&) { return http(302, "", {{"location", "https://elsewhere/"}}); };
    OAuth2Transport t(inner_, settings(), clock_);
    const auto r = t.send(api_get());
    EXPECT_EQ(r.status, 502);
    EXPECT_THAT(diagnostics(r), HasSubstr("answered HTTP 302 instead of a token"));
    EXPECT_TRUE(api_requests().empty());
}

TEST_F(OAuth2TransportTest, AnUnreachableTokenEndpointIsReturnedAsThatTransportError) {
    token_handler = [](const HttpRequest&) { return kiosk::test::unreachable(); };
    OAuth2Transport t(inner_, settings(), clock_);
    const auto r = t.send(api_get());
    EXPECT_EQ(r.error, TransportError::Connect);
    EXPECT_EQ(r.error_detail, "OAuth2 token endpoint: Connection refused");
    EXPECT_EQ(r.status, 0);
    EXPECT_TRUE(api_requests().empty());
    // Once it is back, the next request gets a token and goes through.
    token_handler = [](const HttpRequest&) { return http(200, token_reply("tok-back")); };
    ASSERT_TRUE(t.send(api_get()).ok());
    EXPECT_EQ(bearer(api_requests().at(0)), "Bearer tok-back");
}

TEST_F(OAuth2TransportTest, AnUnreachableTokenEndpointDuringTheRefreshAfterA401IsReturned) {
    OAuth2Transport t(inner_, settings(), clock_);
    ASSERT_TRUE(t.send(api_get()).ok());
    api_handler = [](const HttpRequest&) { return http(401, ""); };
    token_handler = [](const HttpRequest&) {
        HttpResponse r;
        r.error = TransportError::Timeout;
        r.error_detail = "Timeout was reached";
        return r;
    };
    const auto r = t.send(api_get());
    EXPECT_EQ(r.error, TransportError::Timeout);
    EXPECT_EQ(api_requests().size(), 2u); // the first, and the one that got the 401; no retry without a token
}

TEST_F(OAuth2TransportTest, TheSecretIsNeverSentOverPlainHttpExceptToThisMachine) {
    for (const char* url : {"http://his.test/auth/token", "HTTP://10.0.0.7/token",
                            "http://127.0.0.1@his.test/t", "ftp://his.test/token"}) {
        FakeTransport inner;
        auto s = settings();
        s.token_url = url;
        OAuth2Transport t(inner, s, clock_);
        const auto r = t.send(api_get());
        EXPECT_EQ(r.status, 401) << url;
        EXPECT_THAT(diagnostics(r), HasSubstr("does not send its client secret")) << url;
        EXPECT_TRUE(inner.requests.empty()) << url; // neither the token endpoint nor the HIS was asked
    }
    for (const char* url :
         {"http://127.0.0.1:8080/token", "http://localhost/token", "http://[::1]:9/token"}) {
        FakeTransport inner;
        inner.handler = [](const HttpRequest&) { return http(200, token_reply("tok")); };
        auto s = settings();
        s.token_url = url;
        OAuth2Transport t(inner, s, clock_);
        EXPECT_EQ(t.send(api_get()).status, 200) << url;
        ASSERT_EQ(inner.requests.size(), 2u) << url;
        EXPECT_EQ(inner.requests[0].url, url);
    }
}

TEST_F(OAuth2TransportTest, ABusyTokenEndpointKeepsItsStatusAndRetryAfter) {
    for (const long status : {503L, 429L}) {
        inner_.requests.clear();
        token_handler = [status](const HttpRequest&) {
            return http(status, R"({"error":"temporarily_unavailable"})", {{"retry-after", "120"}});
        };
        OAuth2Transport t(inner_, settings(), clock_);
        const auto r = t.send(api_get());
        EXPECT_EQ(r.status, status);
        EXPECT_EQ(r.headers.at("retry-after"), "120");
        EXPECT_THAT(diagnostics(r),
                    HasSubstr("the HIS token endpoint is unavailable (temporarily_unavailable, HTTP " +
                              std::to_string(status) + ")"));
        EXPECT_EQ(kiosk::his::classify_status(r.status), kiosk::his::Delivery::RetryLater);
        EXPECT_TRUE(api_requests().empty());
    }
}

// ---- end to end: CurlTransport against a real HTTP server ----

class OAuth2EndToEnd : public ::testing::Test {
protected:
    void SetUp() override {
        std::signal(SIGPIPE, SIG_IGN); // see curl_transport_test.cpp
        ::setenv("no_proxy", "*", 1);
        ::setenv("NO_PROXY", "*", 1);
        auto& s = server_.server();
        s.Post("/token", server_.record([this](const httplib::Request& req, httplib::Response& res) {
            if (req.get_header_value("Authorization") != "Basic a2lvc2stc2FuaC1hLTAxOnMzY3JldC1LeTBzaw==" ||
                req.body != "grant_type=client_credentials&scope=system%2FPatient.read") {
                res.status = 401;
                res.set_header("WWW-Authenticate", "Basic realm=\"his\"");
                res.set_content(
                    R"({"error":"invalid_client","error_description":"Invalid client credentials"})",
                    "application/json");
                return;
            }
            const std::lock_guard lock(mutex_);
            valid_token_ = "e2e-" + std::to_string(++issued_);
            res.set_content(token_reply(valid_token_, 3600), "application/json");
        }));
        s.Get("/fhir/Patient", server_.record([this](const httplib::Request& req, httplib::Response& res) {
            const std::lock_guard lock(mutex_);
            if (valid_token_.empty() || req.get_header_value("Authorization") != "Bearer " + valid_token_) {
                res.status = 401;
                res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
                return;
            }
            res.set_content(R"({"resourceType":"Bundle","type":"searchset","total":0})",
                            "application/fhir+json");
        }));
        server_.start();
    }

    OAuth2Settings settings(std::string secret = kSecret) {
        return OAuth2Settings{server_.url("/token"), kClientId, std::move(secret), "system/Patient.read"};
    }
    HttpRequest search() {
        HttpRequest r;
        r.url = server_.url("/fhir/Patient");
        r.headers = {{"Accept", "application/fhir+json"}};
        return r;
    }
    std::vector<std::string> paths_and_auth() {
        std::vector<std::string> out;
        for (const auto& r : server_.received())
            out.push_back(r.method + " " + r.path + " " + r.header("Authorization"));
        return out;
    }
    void revoke() {
        const std::lock_guard lock(mutex_);
        valid_token_.clear();
    }

    kiosk::test::HttpTestServer server_;
    kiosk::his::CurlTransport curl_{kiosk::his::TransportOptions{}};
    ManualClock clock_{kStart};
    std::mutex mutex_;
    std::string valid_token_;
    int issued_ = 0;
};

TEST_F(OAuth2EndToEnd, TheBearerTokenReachesTheServerThroughCurl) {
    OAuth2Transport t(curl_, settings(), clock_);
    const auto first = t.send(search());
    ASSERT_EQ(first.error, TransportError::None) << first.error_detail;
    EXPECT_EQ(first.status, 200);
    EXPECT_THAT(first.body, HasSubstr("searchset"));
    ASSERT_TRUE(t.send(search()).ok());
    const auto received = server_.received();
    ASSERT_EQ(received.size(), 3u);
    EXPECT_EQ(received[0].header("Content-Type"), "application/x-www-form-urlencoded");
    EXPECT_EQ(paths_and_auth(),
              (std::vector<std::string>{"POST /token Basic a2lvc2stc2FuaC1hLTAxOnMzY3JldC1LeTBzaw==",
                                        "GET /fhir/Patient Bearer e2e-1", "GET /fhir/Patient Bearer e2e-1"}));

    // The server revokes the token: one 401, a new token, the request again.
    revoke();
    ASSERT_TRUE(t.send(search()).ok());
    const auto all = paths_and_auth();
    ASSERT_EQ(all.size(), 6u);
    EXPECT_EQ(all[3], "GET /fhir/Patient Bearer e2e-1");
    EXPECT_EQ(all[4], "POST /token Basic a2lvc2stc2FuaC1hLTAxOnMzY3JldC1LeTBzaw==");
    EXPECT_EQ(all[5], "GET /fhir/Patient Bearer e2e-2");
}

TEST_F(OAuth2EndToEnd, AWrongSecretIsReportedWithoutTheSecret) {
    OAuth2Transport t(curl_, settings("wrong-Secret-42"), clock_);
    const auto r = t.send(search());
    ASSERT_EQ(r.error, TransportError::None) << r.error_detail;
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(diagnostics(r),
              "the HIS token endpoint refused the kiosk's client credentials (invalid_client, "
              "Invalid client credentials, HTTP 401)");
    EXPECT_THAT(r.body, Not(HasSubstr("wrong-Secret-42")));
    ASSERT_EQ(server_.received().size(), 1u); // the HIS itself was never asked
    EXPECT_EQ(server_.received()[0].path, "/token");
}

TEST_F(OAuth2EndToEnd, NoTokenEndpointListeningIsAConnectError) {
    auto s = settings();
    s.token_url = "http://127.0.0.1:" + std::to_string(kiosk::test::unused_port()) + "/token";
    OAuth2Transport t(curl_, s, clock_);
    const auto r = t.send(search());
    EXPECT_EQ(r.error, TransportError::Connect);
    EXPECT_THAT(r.error_detail, HasSubstr("OAuth2 token endpoint: "));
    EXPECT_TRUE(server_.received().empty());
}

} // namespace
