#include "kiosk/his/fhir_his.hpp"
#include "kiosk/his/fhir_mapping.hpp"

#include "fakes.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace kiosk;
using kiosk::test::FakeTransport;
using kiosk::test::http;

namespace {

store::OutboxEntry ticket_entry(int n) {
    const std::string ref = "BVDK-DEMO-20261124-KBH-A" + std::to_string(100 + n);
    store::OutboxEntry e;
    e.id = n;
    e.aggregate_type = "ticket";
    e.aggregate_id = ref;
    e.operation = "create";
    e.identifier = ref;
    e.payload_json = nlohmann::json{
        {"reference", ref},
        {"display_number", "AA-" + std::to_string(100 + n)},
        {"service_code", "KBH"},
        {"service_day", "2026-11-24"},
        {"sequence", 100 + n},
        {"issued_at", 1795480200000},
        {"issued_at_local", "2026-11-24T07:30:00+07:00"},
        {"site_id", "BVDK-DEMO"},
        {"kiosk_id", "SANH-A-01"},
        {"kiosk_letter",
         "A"}}.dump();
    return e;
}

std::string outcome(const std::string& text) {
    return nlohmann::json{{"resourceType", "OperationOutcome"},
                          {"issue", {{{"severity", "error"}, {"code", "invalid"}, {"diagnostics", text}}}}}
        .dump();
}

} // namespace

TEST(FhirMapping, TicketBecomesAnArrivedEncounterWithItsIdentifier) {
    std::string why;
    const auto w = his::to_fhir(ticket_entry(1), why);
    ASSERT_TRUE(w) << why;
    EXPECT_EQ(w->resource_type, "Encounter");
    EXPECT_EQ(w->resource["status"], "arrived");
    EXPECT_EQ(w->resource["class"]["code"], "AMB");
    EXPECT_EQ(w->resource["identifier"][0]["system"], "urn:kiosk:BVDK-DEMO:ticket");
    EXPECT_EQ(w->resource["identifier"][0]["value"], "BVDK-DEMO-20261124-KBH-A101");
    EXPECT_EQ(w->resource["period"]["start"], "2026-11-24T07:30:00+07:00");
    EXPECT_EQ(w->if_none_exist, "identifier=urn%3Akiosk%3ABVDK-DEMO%3Aticket%7CBVDK-DEMO-20261124-KBH-A101");
}

TEST(FhirMapping, UnknownOrBrokenRecordsSayWhy) {
    std::string why;
    auto e = ticket_entry(1);
    e.aggregate_type = "spaceship";
    EXPECT_FALSE(his::to_fhir(e, why));
    EXPECT_NE(why.find("no FHIR mapping"), std::string::npos);
    e = ticket_entry(1);
    e.payload_json = "{not json";
    EXPECT_FALSE(his::to_fhir(e, why));
    e.payload_json = R"({"reference": 5})";
    EXPECT_FALSE(his::to_fhir(e, why));
}

TEST(FhirHis, SingleRecordIsAConditionalCreate) {
    FakeTransport t;
    t.handler = [](const his::HttpRequest&) { return http(201, "{}"); };
    his::FhirHis his(t, "http://his.test/fhir/R4/");
    const auto r = his.deliver({ticket_entry(1)});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].outcome, his::Delivery::Accepted);
    ASSERT_EQ(t.requests.size(), 1u);
    EXPECT_EQ(t.requests[0].method, "POST");
    EXPECT_EQ(t.requests[0].url, "http://his.test/fhir/R4/Encounter");
    EXPECT_EQ(t.requests[0].headers.at("If-None-Exist").rfind("identifier=", 0), 0u);
    EXPECT_EQ(t.requests[0].headers.at("Content-Type"), "application/fhir+json");
}

TEST(FhirHis, StatusesMapToOutcomes) {
    struct Case {
        long status;
        his::Delivery expected;
    };
    for (const Case c : {Case{201, his::Delivery::Accepted}, Case{200, his::Delivery::AlreadyExists},
                         Case{400, his::Delivery::Rejected}, Case{422, his::Delivery::Rejected},
                         Case{401, his::Delivery::RetryLater}, Case{403, his::Delivery::RetryLater},
                         Case{409, his::Delivery::Conflict}, Case{412, his::Delivery::Conflict},
                         Case{429, his::Delivery::RetryLater}, Case{500, his::Delivery::RetryLater},
                         Case{503, his::Delivery::RetryLater}}) {
        FakeTransport t;
        t.handler = [&](const his::HttpRequest&) {
            return http(c.status, outcome("because " + std::to_string(c.status)));
        };
        his::FhirHis his(t, "http://his.test/fhir");
        const auto r = his.deliver({ticket_entry(1)});
        EXPECT_EQ(r[0].outcome, c.expected) << c.status;
        if (c.status >= 400) {
            EXPECT_EQ(r[0].detail, "because " + std::to_string(c.status));
        }
        EXPECT_EQ(t.requests.size(), 1u);
    }
}

TEST(FhirHis, RetryAfterIsHonouredInSecondsAndAsADate) {
    FakeTransport t;
    t.handler = [](const his::HttpRequest&) { return http(429, "", {{"retry-after", "120"}}); };
    his::FhirHis his(t, "http://his.test/fhir");
    const auto r = his.deliver({ticket_entry(1)});
    ASSERT_TRUE(r[0].retry_after);
    EXPECT_EQ(r[0].retry_after->count(), 120);
    const auto now = std::chrono::system_clock::from_time_t(1795480200); // 2026-11-24 00:30:00 GMT
    EXPECT_EQ(his::parse_retry_after("Tue, 24 Nov 2026 00:31:00 GMT", now)->count(), 60);
    EXPECT_FALSE(his::parse_retry_after("soon", now));
}

TEST(FhirHis, UnreachableHisIsRetryLaterAndMarked) {
    FakeTransport t;
    t.handler = [](const his::HttpRequest&) { return kiosk::test::unreachable(); };
    his::FhirHis his(t, "http://his.test/fhir");
    const auto r = his.deliver({ticket_entry(1), ticket_entry(2)});
    ASSERT_EQ(r.size(), 2u);
    for (const auto& x : r) {
        EXPECT_EQ(x.outcome, his::Delivery::RetryLater);
        EXPECT_TRUE(x.unreachable);
    }
}

TEST(FhirHis, SeveralRecordsGoAsOneBatchAndResultsMapBackInOrder) {
    FakeTransport t;
    t.handler = [](const his::HttpRequest& req) {
        const auto bundle = nlohmann::json::parse(req.body);
        EXPECT_EQ(bundle["type"], "batch");
        EXPECT_EQ(bundle["entry"].size(), 3u);
        EXPECT_EQ(bundle["entry"][0]["request"]["method"], "POST");
        EXPECT_EQ(bundle["entry"][0]["request"]["url"], "Encounter");
        EXPECT_TRUE(bundle["entry"][0]["request"].contains("ifNoneExist"));
        nlohmann::json reply = {{"resourceType", "Bundle"}, {"type", "batch-response"}};
        reply["entry"] = {
            {{"response", {{"status", "201 Created"}}}},
            {{"response", {{"status", "200"}}}},
            {{"response",
              {{"status", "400 Bad Request"}, {"outcome", nlohmann::json::parse(outcome("bad"))}}}}};
        return http(200, reply.dump());
    };
    his::FhirHis his(t, "http://his.test/fhir");
    const auto r = his.deliver({ticket_entry(1), ticket_entry(2), ticket_entry(3)});
    ASSERT_EQ(t.requests.size(), 1u);
    EXPECT_EQ(t.requests[0].url, "http://his.test/fhir");
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].outcome, his::Delivery::Accepted);
    EXPECT_EQ(r[1].outcome, his::Delivery::AlreadyExists);
    EXPECT_EQ(r[2].outcome, his::Delivery::Rejected);
    EXPECT_EQ(r[2].detail, "bad");
}

TEST(FhirHis, GarbageOrMismatchedBatchReplyIsRetryNotACrash) {
    for (const std::string& body :
         {std::string("<html>oops</html>"), std::string(R"({"resourceType":"Bundle","entry":[]})"),
          std::string(10000, '\xff')}) {
        FakeTransport t;
        t.handler = [&](const his::HttpRequest&) { return http(200, body); };
        his::FhirHis his(t, "http://his.test/fhir");
        const auto r = his.deliver({ticket_entry(1), ticket_entry(2)});
        ASSERT_EQ(r.size(), 2u);
        EXPECT_EQ(r[0].outcome, his::Delivery::RetryLater);
        EXPECT_EQ(r[1].outcome, his::Delivery::RetryLater);
    }
}

TEST(FhirHis, ServerWithoutBatchSupportGetsSingleWrites) {
    FakeTransport t;
    t.handler = [](const his::HttpRequest& req) {
        return req.url == "http://his.test/fhir" ? http(405, outcome("batch not supported"))
                                                 : http(201, "{}");
    };
    his::FhirHis his(t, "http://his.test/fhir");
    const auto r = his.deliver({ticket_entry(1), ticket_entry(2)});
    EXPECT_EQ(t.requests.size(), 3u);
    EXPECT_EQ(r[0].outcome, his::Delivery::Accepted);
    EXPECT_EQ(r[1].outcome, his::Delivery::Accepted);
}

TEST(FhirHis, BatchRefusedForAuthorisationWaitsInsteadOfGoingSingle) {
    FakeTransport t;
    t.handler = [](const his::HttpRequest&) { return http(401, outcome("token refused")); };
    his::FhirHis his(t, "http://his.test/fhir");
    const auto r = his.deliver({ticket_entry(1), ticket_entry(2), ticket_entry(3)});
    EXPECT_EQ(t.requests.size(), 1u); // no fallback to one request per record
    for (const auto& x : r)
        EXPECT_EQ(x.outcome, his::Delivery::RetryLater);
    EXPECT_NE(r[0].detail.find("token refused"), std::string::npos);
}

TEST(FhirHis, UnmappableRecordIsRejectedWithoutBeingSent) {
    FakeTransport t;
    t.handler = [](const his::HttpRequest&) { return http(201, "{}"); };
    his::FhirHis his(t, "http://his.test/fhir");
    auto bad = ticket_entry(1);
    bad.payload_json = "[]";
    const auto r = his.deliver({bad});
    EXPECT_EQ(r[0].outcome, his::Delivery::Rejected);
    EXPECT_TRUE(t.requests.empty());
}

TEST(FhirHis, OperationOutcomeTextJoinsIssues) {
    const std::string body =
        R"({"resourceType":"OperationOutcome","issue":[{"diagnostics":"a"},{"details":{"text":"b"}},{}]})";
    EXPECT_EQ(his::operation_outcome_text(body), "a; b");
    EXPECT_EQ(his::operation_outcome_text("nope"), "");
}
