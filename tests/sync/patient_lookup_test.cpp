// Patient lookup by identifier: against the real FHIR R4 server of tests/fhir-server (seeded with Patients
// over HTTP), against a port nobody listens on (cache fallback), and with a scripted transport for the
// replies a real server does not give on demand (garbage, oversized, 4xx/5xx).
#include "kiosk/core/identifier_systems.hpp"
#include "kiosk/core/text.hpp"
#include "kiosk/his/curl_transport.hpp"
#include "kiosk/his/fhir_mapping.hpp"
#include "kiosk/store/patient_cache.hpp"
#include "kiosk/sync/patient_lookup.hpp"

#include "his/fakes.hpp"
#include "his/fault_server.hpp"
#include "his/fhir_server.hpp"
#include "temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using namespace kiosk;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

namespace {

// The server of this file's tests, shared by them (so each test uses identifier values of its own).
test::FhirServer* g_fhir = nullptr;

class LookupServerEnvironment : public ::testing::Environment {
public:
    void SetUp() override { server_ = std::make_unique<test::FhirServer>(), g_fhir = server_.get(); }
    void TearDown() override { server_.reset(), g_fhir = nullptr; }

private:
    std::unique_ptr<test::FhirServer> server_;
};

const auto* const kLookupEnv = ::testing::AddGlobalTestEnvironment(new LookupServerEnvironment);

constexpr core::UnixMillis kStart = 1795480200000;

his::TransportOptions options() {
    his::TransportOptions o;
    o.connect_timeout = std::chrono::milliseconds(2000);
    o.total_timeout = std::chrono::milliseconds(10000);
    o.user_agent = "kiosk-test";
    return o;
}

// A number no other test of this process uses: a random start per process, then counting.
std::uint64_t next_number() {
    static std::atomic<std::uint64_t> n{std::random_device{}() % 800'000'000u};
    return ++n;
}

// A 12-digit CCCD (079: Hồ Chí Minh City) and a 15-character BHYT card number, unique per call.
std::string new_cccd() {
    const std::string digits = std::to_string(100'000'000u + next_number()); // 9 digits
    return "079" + digits;
}
std::string new_bhyt() {
    const std::string digits = std::to_string(1'000'000'000u + next_number()); // 10 digits
    return "DN479" + digits;
}

// What the tests keep of a Patient they created on the server.
struct Seeded {
    std::string id;
    std::string name;
};

// POSTs a Patient with the given identifiers and name ("Family Given..." in Vietnamese, NFC).
Seeded seed_patient(const std::vector<std::pair<std::string, std::string>>& identifiers,
                    const std::string& family, const std::vector<std::string>& given) {
    std::string text = family;
    for (const auto& g : given)
        text += " " + g;
    if (core::to_nfc(text) != text) throw std::logic_error("test names must be NFC");
    nlohmann::json patient = {
        {"resourceType", "Patient"},
        {"identifier", nlohmann::json::array()},
        {"name", {{{"use", "official"}, {"family", family}, {"given", given}, {"text", text}}}},
        {"gender", "female"},
        {"birthDate", "1990-04-12"}};
    for (const auto& [system, value] : identifiers)
        patient["identifier"].push_back({{"system", system}, {"value", value}});
    his::CurlTransport t(options());
    const auto r = t.send(
        his::HttpRequest{"POST",
                         g_fhir->base() + "/Patient",
                         {{"Content-Type", "application/fhir+json"}, {"Accept", "application/fhir+json"}},
                         patient.dump()});
    if (r.status != 201)
        throw std::runtime_error("seeding a Patient failed: HTTP " + std::to_string(r.status) + " " + r.body);
    return {nlohmann::json::parse(r.body).at("id").get<std::string>(), text};
}

std::string name_text(const std::string& patient_json) {
    return nlohmann::json::parse(patient_json).at("name").at(0).at("text").get<std::string>();
}

std::vector<std::string> ids_of(const std::vector<sync::FoundPatient>& patients) {
    std::vector<std::string> ids;
    for (const auto& p : patients)
        ids.push_back(p.fhir_id);
    return ids;
}

std::string unreachable_base() {
    return "http://127.0.0.1:" + std::to_string(test::unused_port()) + "/fhir/R4";
}

// One kiosk: its database and clock.
struct Kiosk {
    test::TempDir dir;
    store::Database db = store::Database::open(dir / "kiosk.db");
    core::ManualClock clock{kStart};
    his::CurlTransport transport{options()};
};

} // namespace

// --- a HIS that accepts and never answers ----------------------------------------------------------------

TEST(PatientLookupFault, NeverAnsweringHisIsUnreachableWithinTheLookupsOwnDeadline) {
    // The transport would wait 30 s; the server answers "nobody" only if the kiosk is still waiting after
    // 20 s. The lookup's own deadline must end the wait first: unreachable, never the late "not found".
    test::SilentServer his;
    test::TempDir dir;
    store::Database db = store::Database::open(dir / "kiosk.db");
    core::ManualClock clock{kStart};
    his::TransportOptions o = options();
    o.connect_timeout = std::chrono::seconds(5);
    o.total_timeout = std::chrono::seconds(30);
    his::CurlTransport transport(o);
    sync::PatientLookup lookup(transport, his.url("/fhir/R4"), db, clock, std::chrono::milliseconds(500));
    const auto r = lookup.find(core::kDefaultCccdSystem, "079090001234");
    EXPECT_EQ(r.source, sync::Source::Cache);
    EXPECT_EQ(r.problem, his::LookupProblem::Unreachable);
    EXPECT_THAT(r.patients, IsEmpty());
    EXPECT_THAT(r.message, HasSubstr("did not answer in time"));
    EXPECT_THAT(r.message, Not(HasSubstr("079090001234")));
    EXPECT_EQ(his.requests(), 1);
    EXPECT_EQ(his.answered_late(), 0);
}

TEST(PatientLookupFault, DefaultDeadlineIsShort) {
    EXPECT_LE(sync::PatientLookup::kDefaultDeadline, std::chrono::seconds(3));
}

// --- against the real FHIR server --------------------------------------------------------------------

TEST(PatientLookupIntegration, FoundInHisThenFromCacheWhenHisIsUnreachable) {
    const std::string cccd_hoa = new_cccd();
    const std::string cccd_duc = new_cccd();
    const Seeded hoa = seed_patient({{core::kDefaultCccdSystem, cccd_hoa}}, "Nguyễn", {"Thị", "Hoa"});
    const Seeded duc = seed_patient({{core::kDefaultCccdSystem, cccd_duc}}, "Trần", {"Văn", "Đức"});

    Kiosk k;
    sync::PatientLookup online(k.transport, g_fhir->base(), k.db, k.clock);
    const auto found = online.find(core::kDefaultCccdSystem, cccd_hoa);
    EXPECT_EQ(found.source, sync::Source::His);
    EXPECT_EQ(found.problem, his::LookupProblem::None);
    EXPECT_EQ(found.message, "");
    ASSERT_EQ(found.patients.size(), 1u) << "exactly the patient with that CCCD, not the other one";
    EXPECT_EQ(found.patients[0].fhir_id, hoa.id);
    EXPECT_EQ(name_text(found.patients[0].json), hoa.name) << "Vietnamese text arrives byte for byte (NFC)";
    EXPECT_EQ(found.patients[0].fetched_at, kStart);

    store::PatientCache cache(k.db);
    EXPECT_EQ(cache.count(), 1) << "the patient found is cached";
    ASSERT_EQ(cache.find(core::kDefaultCccdSystem, cccd_hoa).size(), 1u);

    k.clock.advance(60'000);
    const auto found_duc = online.find(core::kDefaultCccdSystem, cccd_duc);
    ASSERT_EQ(found_duc.patients.size(), 1u);
    EXPECT_EQ(found_duc.patients[0].fhir_id, duc.id);
    EXPECT_EQ(name_text(found_duc.patients[0].json), duc.name);
    EXPECT_EQ(cache.count(), 2);

    // The HIS goes away: a second lookup on the same database answers from the cache, without throwing.
    his::CurlTransport offline_transport(options());
    sync::PatientLookup offline(offline_transport, unreachable_base(), k.db, k.clock);
    const auto cached = offline.find(core::kDefaultCccdSystem, cccd_hoa);
    EXPECT_EQ(cached.source, sync::Source::Cache);
    EXPECT_EQ(cached.problem, his::LookupProblem::Unreachable);
    EXPECT_THAT(cached.message, HasSubstr("cannot connect to the HIS"));
    EXPECT_THAT(cached.message, Not(HasSubstr(cccd_hoa)));
    ASSERT_EQ(cached.patients.size(), 1u);
    EXPECT_EQ(cached.patients[0], found.patients[0]) << "same id, JSON and fetch time as the HIS's answer";

    const auto unknown_offline = offline.find(core::kDefaultCccdSystem, new_cccd());
    EXPECT_EQ(unknown_offline.source, sync::Source::Cache);
    EXPECT_THAT(unknown_offline.patients, IsEmpty());
}

TEST(PatientLookupIntegration, HisSaysNoneIsDefinitiveAndClearsTheCacheEntry) {
    const std::string cccd = new_cccd();
    Kiosk k;
    store::PatientCache cache(k.db);
    // A stale entry: the HIS once had a patient with this CCCD (since merged or corrected).
    cache.put("stale-patient", R"({"resourceType":"Patient","id":"stale-patient"})",
              {{core::kDefaultCccdSystem, cccd}}, kStart - 3'600'000);

    sync::PatientLookup online(k.transport, g_fhir->base(), k.db, k.clock);
    const auto r = online.find(core::kDefaultCccdSystem, cccd);
    EXPECT_EQ(r.source, sync::Source::His) << r.message;
    EXPECT_EQ(r.problem, his::LookupProblem::None);
    EXPECT_THAT(r.patients, IsEmpty()) << "no fallback to the stale cache entry";
    EXPECT_THAT(cache.find(core::kDefaultCccdSystem, cccd), IsEmpty())
        << "the link for that identifier is removed";
    EXPECT_EQ(cache.count(), 0) << "a cached patient left without identifiers is dropped";

    // And later, with the HIS down, the stale entry does not come back either.
    his::CurlTransport offline_transport(options());
    sync::PatientLookup offline(offline_transport, unreachable_base(), k.db, k.clock);
    EXPECT_THAT(offline.find(core::kDefaultCccdSystem, cccd).patients, IsEmpty());
}

TEST(PatientLookupIntegration, FoundByBhytCardAndCachedUnderEveryIdentifier) {
    const std::string cccd = new_cccd();
    const std::string bhyt = new_bhyt();
    const Seeded lan = seed_patient({{core::kDefaultCccdSystem, cccd}, {core::kDefaultBhytSystem, bhyt}},
                                    "Lê", {"Thị", "Lan"});

    Kiosk k;
    sync::PatientLookup online(k.transport, g_fhir->base(), k.db, k.clock);
    const auto r = online.find(core::kDefaultBhytSystem, bhyt);
    EXPECT_EQ(r.source, sync::Source::His) << r.message;
    ASSERT_EQ(r.patients.size(), 1u);
    EXPECT_EQ(r.patients[0].fhir_id, lan.id);
    EXPECT_EQ(name_text(r.patients[0].json), lan.name);

    // The same value under the other system is someone else's business: the system is part of the search.
    const auto other_system = online.find(core::kDefaultCccdSystem, bhyt);
    EXPECT_EQ(other_system.source, sync::Source::His) << other_system.message;
    EXPECT_THAT(other_system.patients, IsEmpty());

    // Found by BHYT, recognised offline by CCCD too (its identifiers came with the Patient).
    his::CurlTransport offline_transport(options());
    sync::PatientLookup offline(offline_transport, unreachable_base(), k.db, k.clock);
    const auto by_cccd = offline.find(core::kDefaultCccdSystem, cccd);
    EXPECT_EQ(by_cccd.source, sync::Source::Cache);
    EXPECT_EQ(ids_of(by_cccd.patients), std::vector<std::string>{lan.id});
}

TEST(PatientLookupIntegration, SeveralPatientsWithOneIdentifierAreAllReturned) {
    // Two registrations in the HIS sharing one BHYT card number (a data problem staff must resolve).
    const std::string bhyt = new_bhyt();
    const Seeded a = seed_patient({{core::kDefaultCccdSystem, new_cccd()}, {core::kDefaultBhytSystem, bhyt}},
                                  "Phạm", {"Minh", "Khôi"});
    const Seeded b = seed_patient({{core::kDefaultCccdSystem, new_cccd()}, {core::kDefaultBhytSystem, bhyt}},
                                  "Phạm", {"Minh", "Khải"});

    Kiosk k;
    sync::PatientLookup online(k.transport, g_fhir->base(), k.db, k.clock);
    const auto r = online.find(core::kDefaultBhytSystem, bhyt);
    EXPECT_EQ(r.source, sync::Source::His) << r.message;
    EXPECT_THAT(ids_of(r.patients), UnorderedElementsAre(a.id, b.id));

    his::CurlTransport offline_transport(options());
    sync::PatientLookup offline(offline_transport, unreachable_base(), k.db, k.clock);
    EXPECT_THAT(ids_of(offline.find(core::kDefaultBhytSystem, bhyt).patients),
                UnorderedElementsAre(a.id, b.id));
}

// --- scripted replies ---------------------------------------------------------------------------------

namespace {

constexpr const char* kBase = "https://his.example.vn/fhir/R4";
constexpr const char* kCccdValue = "079190012345";

nlohmann::json patient_json(const std::string& id, const std::string& cccd) {
    return {{"resourceType", "Patient"},
            {"id", id},
            {"identifier", {{{"system", core::kDefaultCccdSystem}, {"value", cccd}}}},
            {"name", {{{"text", "Võ Thị Sáu"}}}}};
}

std::string searchset(const std::vector<nlohmann::json>& resources) {
    nlohmann::json b = {{"resourceType", "Bundle"}, {"type", "searchset"}, {"total", resources.size()}};
    b["entry"] = nlohmann::json::array();
    for (const auto& r : resources)
        b["entry"].push_back({{"resource", r}, {"search", {{"mode", "match"}}}});
    return b.dump();
}

// A kiosk whose cache already knows the patient with kCccdValue, and a scripted HIS.
struct Scripted {
    test::TempDir dir;
    store::Database db = store::Database::open(dir / "kiosk.db");
    core::ManualClock clock{kStart};
    test::FakeTransport transport;
    store::PatientCache cache{db};
    sync::PatientLookup lookup{transport, std::string(kBase) + "/", db, clock};
    const std::string cached_json = patient_json("cached-1", kCccdValue).dump();

    Scripted() {
        cache.put("cached-1", cached_json, {{core::kDefaultCccdSystem, kCccdValue}}, kStart - 1000);
    }

    void reply(his::HttpResponse r) {
        transport.handler = [r](const his::HttpRequest&) { return r; };
    }
    void expect_cache_fallback(const sync::LookupResult& r, his::LookupProblem problem) const {
        EXPECT_EQ(r.source, sync::Source::Cache);
        EXPECT_EQ(r.problem, problem);
        EXPECT_FALSE(r.message.empty());
        EXPECT_THAT(r.message, Not(HasSubstr(kCccdValue)));
        EXPECT_EQ(r.patients, (std::vector<sync::FoundPatient>{{"cached-1", cached_json, kStart - 1000}}));
    }
};

} // namespace

TEST(PatientLookupScripted, SendsAnIdentifierSearch) {
    Scripted s;
    s.reply(test::http(200, searchset({patient_json("p-1", kCccdValue)})));
    const auto r = s.lookup.find(core::kDefaultCccdSystem, kCccdValue);
    ASSERT_EQ(s.transport.requests.size(), 1u);
    const auto& req = s.transport.requests[0];
    EXPECT_EQ(req.method, "GET");
    EXPECT_EQ(req.url,
              std::string(kBase) +
                  "/Patient?identifier=http%3A%2F%2Ffhir.ehealth.gov.vn%2Fcore%2Fsid%2Fnational_id%7C" +
                  kCccdValue + "&_count=10");
    EXPECT_EQ(req.headers.at("Accept"), "application/fhir+json");
    EXPECT_EQ(req.body, "");
    EXPECT_EQ(r.source, sync::Source::His);
    ASSERT_EQ(ids_of(r.patients), std::vector<std::string>{"p-1"}) << "the HIS's answer, not the cache's";
    EXPECT_EQ(name_text(r.patients[0].json), "Võ Thị Sáu");
    EXPECT_THAT(s.cache.find(core::kDefaultCccdSystem, kCccdValue),
                ::testing::ElementsAre(store::CachedPatient{"p-1", r.patients[0].json, kStart}))
        << "the HIS's answer replaces the cache's links for that identifier";
    EXPECT_EQ(s.cache.count(), 1) << "cached-1, no longer an answer and without identifiers, is dropped";
}

TEST(PatientLookupScripted, GarbageReplyIsTreatedAsUnreachable) {
    const std::vector<std::string> garbage = {
        "<html><body>502 Bad Gateway</body></html>",
        "",
        R"({"resourceType":"Bundle","type":"searchset","entry":{"resource":{}}})",
        R"({"resourceType":"OperationOutcome","issue":[]})",
        R"({"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Patient"}}]})",
        // A server that ignored the search parameter: a Patient without the identifier searched for.
        searchset({patient_json("someone-else", "079190099999")}),
        // Members of the wrong type (nlohmann's value() would throw on these).
        R"({"resourceType":5})",
        R"({"resourceType":"Bundle","entry":[{"search":{"mode":5},"resource":{"resourceType":"Patient","id":7}}]})",
        R"({"resourceType":"Bundle","entry":[{"search":"match","resource":{"resourceType":"Patient","id":9}}]})",
    };
    for (const auto& body : garbage) {
        SCOPED_TRACE(body);
        Scripted s;
        s.reply(test::http(200, body, {{"content-type", "application/fhir+json"}}));
        s.expect_cache_fallback(s.lookup.find(core::kDefaultCccdSystem, kCccdValue),
                                his::LookupProblem::Unreachable);
        EXPECT_EQ(s.cache.count(), 1) << "nothing from a garbage reply is cached";
    }
}

TEST(PatientLookupScripted, OversizedReplyIsTreatedAsUnreachable) {
    Scripted s;
    // A well-formed answer, padded beyond the cap: not parsed at all.
    std::string body = searchset({patient_json("p-big", kCccdValue)});
    body.append(sync::PatientLookup::kMaxReplyBytes, ' ');
    s.reply(test::http(200, body));
    s.expect_cache_fallback(s.lookup.find(core::kDefaultCccdSystem, kCccdValue),
                            his::LookupProblem::Unreachable);
    EXPECT_EQ(s.cache.count(), 1) << "nothing from an oversized reply is cached";

    his::HttpResponse too_large;
    too_large.error = his::TransportError::TooLarge;
    too_large.error_detail = "Maximum file size exceeded";
    s.reply(too_large);
    const auto r = s.lookup.find(core::kDefaultCccdSystem, kCccdValue);
    s.expect_cache_fallback(r, his::LookupProblem::Unreachable);
    EXPECT_THAT(r.message, HasSubstr("too large"));
}

TEST(PatientLookupScripted, ServerErrorsAndTimeoutsFallBackToCache) {
    his::HttpResponse timeout;
    timeout.error = his::TransportError::Timeout;
    timeout.error_detail = "Operation timed out after 3000 milliseconds";
    for (const auto& resp : {test::http(503, R"({"resourceType":"OperationOutcome"})"), test::http(500),
                             test::http(429), test::http(408), test::unreachable(), timeout}) {
        SCOPED_TRACE(std::to_string(resp.status) + " " + resp.error_detail);
        Scripted s;
        s.reply(resp);
        s.expect_cache_fallback(s.lookup.find(core::kDefaultCccdSystem, kCccdValue),
                                his::LookupProblem::Unreachable);
    }
}

TEST(PatientLookupScripted, RefusalCarriesTheOperationOutcomeText) {
    Scripted s;
    s.reply(test::http(400,
                       R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid",)"
                       R"("diagnostics":"Unknown identifier system"}]})"));
    const auto r = s.lookup.find(core::kDefaultCccdSystem, kCccdValue);
    s.expect_cache_fallback(r, his::LookupProblem::Refused);
    EXPECT_THAT(r.message, HasSubstr("HTTP 400"));
    EXPECT_THAT(r.message, HasSubstr("Unknown identifier system"));
}

TEST(PatientLookupScripted, MessagesNeverCarryTheIdentifierValue) {
    Scripted s;
    // A HIS that echoes the query in its diagnostics, raw and percent-encoded.
    const std::string echoed = std::string("No index for ") + core::kDefaultCccdSystem + "|" + kCccdValue +
                               " (urn%3Akiosk%3Avn%3Acccd%7C" + kCccdValue + ")";
    const nlohmann::json outcome = {
        {"resourceType", "OperationOutcome"},
        {"issue", {{{"severity", "error"}, {"code", "not-found"}, {"diagnostics", echoed}}}}};
    s.reply(test::http(404, outcome.dump()));
    const auto r = s.lookup.find(core::kDefaultCccdSystem, kCccdValue);
    s.expect_cache_fallback(r, his::LookupProblem::Refused);
    EXPECT_THAT(r.message, HasSubstr("No index for"));
    EXPECT_THAT(r.message, HasSubstr("<identifier>"));
}

TEST(PatientLookupScripted, EmptyAnswerDropsTheCachedLink) {
    Scripted s;
    s.reply(test::http(200, R"({"resourceType":"Bundle","type":"searchset","total":0})"));
    const auto r = s.lookup.find(core::kDefaultCccdSystem, kCccdValue);
    EXPECT_EQ(r.source, sync::Source::His);
    EXPECT_THAT(r.patients, IsEmpty());
    EXPECT_THAT(s.cache.find(core::kDefaultCccdSystem, kCccdValue), IsEmpty());
}

TEST(PatientLookupScripted, IncludedResourcesAndDuplicatesAreNotMatches) {
    Scripted s;
    nlohmann::json b =
        nlohmann::json::parse(searchset({patient_json("p-1", kCccdValue), patient_json("p-1", kCccdValue)}));
    b["entry"].push_back({{"resource", {{"resourceType", "Organization"}, {"id", "org-1"}}},
                          {"search", {{"mode", "include"}}}});
    b["entry"].push_back(
        {{"resource", patient_json("linked", "079190000000")}, {"search", {{"mode", "include"}}}});
    s.reply(test::http(200, b.dump()));
    const auto r = s.lookup.find(core::kDefaultCccdSystem, kCccdValue);
    EXPECT_EQ(r.source, sync::Source::His) << r.message;
    EXPECT_EQ(ids_of(r.patients), std::vector<std::string>{"p-1"});
}

TEST(PatientLookupScripted, EmptyArgumentsAreRefusedWithoutARequest) {
    Scripted s;
    EXPECT_THROW((void)s.lookup.find("", kCccdValue), std::invalid_argument);
    EXPECT_THROW((void)s.lookup.find(core::kDefaultCccdSystem, ""), std::invalid_argument);
    EXPECT_THAT(s.transport.requests, IsEmpty());
}

TEST(PatientLookupScripted, SearchValuesAreEscaped) {
    EXPECT_EQ(
        his::identifier_token("http://fhir.ehealth.gov.vn/core/sid/insurance_number", "DN4797915000001"),
        "http://fhir.ehealth.gov.vn/core/sid/insurance_number|DN4797915000001");
    EXPECT_EQ(his::identifier_token("s", R"(a,b|c$d\e)"), R"(s|a\,b\|c\$d\\e)");
    Scripted s;
    s.reply(test::http(200, R"({"resourceType":"Bundle","type":"searchset","total":0})"));
    (void)s.lookup.find("s", "a,b");
    ASSERT_EQ(s.transport.requests.size(), 1u);
    EXPECT_THAT(s.transport.requests[0].url, HasSubstr("identifier=s%7Ca%5C%2Cb&"));
}
