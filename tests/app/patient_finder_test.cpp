// PatientFinder against a real SQLite file: the kiosk's own records (registered patients, the HIS patient
// cache), then the HIS through PatientLookup over a scripted transport. Also fhir_patient_name().
#include "kiosk/app/patient_finder.hpp"

#include "kiosk/core/clock.hpp"
#include "kiosk/core/site.hpp"
#include "kiosk/his/fhir_mapping.hpp"
#include "kiosk/store/database.hpp"
#include "kiosk/store/patient_cache.hpp"
#include "kiosk/store/patient_registry.hpp"
#include "kiosk/sync/patient_lookup.hpp"

#include "his/fakes.hpp"
#include "store/store_test_support.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace kiosk;

namespace {

constexpr core::UnixMillis kNow = 1795480200000; // 2026-11-24
constexpr char kCccd[] = "079090001234";
constexpr char kBhyt[] = "DN4790123456789";
constexpr char kHisBase[] = "https://his.example.vn/fhir/R4";

core::KioskIdentity kiosk_a() {
    core::KioskIdentity k;
    k.site_id = "BVDK-QN";
    k.kiosk_id = "SANH-A-01";
    k.kiosk_letter = 'A';
    return k;
}

core::PatientDetails an() {
    core::PatientDetails d;
    d.cccd = kCccd;
    d.bhyt = kBhyt;
    d.full_name = "Nguyễn Văn An";
    d.birth_date = core::LocalDate{1990, 1, 15};
    d.sex = core::Sex::Male;
    d.phone = "0912345678";
    return d;
}

// A FHIR Patient carrying `identifiers`, named with family + given (and no text).
nlohmann::json patient_json(const std::string& id, const std::string& family,
                            const std::vector<std::string>& given,
                            const std::vector<std::pair<std::string, std::string>>& identifiers) {
    nlohmann::json p = {{"resourceType", "Patient"},
                        {"id", id},
                        {"identifier", nlohmann::json::array()},
                        {"name", {{{"use", "official"}, {"family", family}, {"given", given}}}}};
    for (const auto& [s, v] : identifiers)
        p["identifier"].push_back({{"system", s}, {"value", v}});
    return p;
}

std::string bundle(const std::vector<nlohmann::json>& patients) {
    nlohmann::json b = {{"resourceType", "Bundle"}, {"type", "searchset"}, {"total", patients.size()}};
    if (!patients.empty()) {
        b["entry"] = nlohmann::json::array();
        for (const auto& p : patients)
            b["entry"].push_back(
                {{"fullUrl", std::string(kHisBase) + "/Patient/" + p.at("id").get<std::string>()},
                 {"resource", p},
                 {"search", {{"mode", "match"}}}});
    }
    return b.dump();
}

class PatientFinderTest : public ::testing::Test {
protected:
    test::TempDir dir_;
    store::Database db_ = store::Database::open(dir_ / "kiosk.db");
    store::IdentifierSystems systems_;
    core::ManualClock clock_{kNow};
    test::FakeTransport transport_;
};

} // namespace

// --- The kiosk's own records, no HIS ---------------------------------------------------------------------

TEST_F(PatientFinderTest, RegisteredPatientIsFoundByCccdAndByBhyt) {
    store::PatientRegistry registry(db_);
    const store::RegisteredPatient reg = registry.register_patient(kiosk_a(), an(), systems_, kNow);
    ASSERT_FALSE(reg.kiosk_patient_id.empty());

    app::PatientFinder finder(db_, nullptr, systems_, clock_);
    for (const auto& [kind, value] : std::vector<std::pair<core::IdKind, std::string>>{
             {core::IdKind::Cccd, kCccd}, {core::IdKind::Bhyt, kBhyt}}) {
        SCOPED_TRACE(value);
        const core::LookupOutcome o = finder.find(kind, value);
        ASSERT_EQ(o.kind, core::LookupOutcome::Kind::Found);
        EXPECT_EQ(o.patient.masked_name, "Nguyễn V*** A");
        EXPECT_EQ(o.patient.kiosk_patient_id, reg.kiosk_patient_id);
        EXPECT_TRUE(o.patient.his_id.empty());
        EXPECT_FALSE(o.his_offline);
    }
    // The number of one kind does not find the patient under the other.
    EXPECT_EQ(finder.find(core::IdKind::Bhyt, kCccd).kind, core::LookupOutcome::Kind::NotFound);
    EXPECT_EQ(finder.find(core::IdKind::Cccd, "001185004321").kind, core::LookupOutcome::Kind::NotFound);
}

TEST_F(PatientFinderTest, CachedHisPatientIsFoundWithItsHisId) {
    store::PatientCache cache(db_);
    cache.put("his-17", patient_json("his-17", "Trần", {"Thị", "Bình"}, {{systems_.cccd, kCccd}}).dump(),
              {{systems_.cccd, kCccd}}, kNow);
    app::PatientFinder finder(db_, nullptr, systems_, clock_);
    const core::LookupOutcome o = finder.find(core::IdKind::Cccd, kCccd);
    ASSERT_EQ(o.kind, core::LookupOutcome::Kind::Found);
    EXPECT_EQ(o.patient.his_id, "his-17");
    EXPECT_EQ(o.patient.masked_name, "Trần T*** B");
    EXPECT_TRUE(o.patient.kiosk_patient_id.empty());
    EXPECT_FALSE(o.his_offline);
}

TEST_F(PatientFinderTest, TwoCachedPatientsWithOneIdentifierAreSeveral) {
    store::PatientCache cache(db_);
    cache.put("his-1", patient_json("his-1", "Lê", {"An"}, {{systems_.bhyt, kBhyt}}).dump(),
              {{systems_.bhyt, kBhyt}}, kNow);
    cache.put("his-2", patient_json("his-2", "Lê", {"Văn", "An"}, {{systems_.bhyt, kBhyt}}).dump(),
              {{systems_.bhyt, kBhyt}}, kNow);
    app::PatientFinder finder(db_, nullptr, systems_, clock_);
    const core::LookupOutcome o = finder.find(core::IdKind::Bhyt, kBhyt);
    EXPECT_EQ(o.kind, core::LookupOutcome::Kind::Several);
    EXPECT_FALSE(o.his_offline);
    EXPECT_TRUE(o.patient.masked_name.empty()) << "no name of either is given out";
}

TEST_F(PatientFinderTest, NobodyIsNotFoundAndNotOffline) {
    app::PatientFinder finder(db_, nullptr, systems_, clock_);
    for (const core::IdKind kind : {core::IdKind::Cccd, core::IdKind::Bhyt}) {
        const core::LookupOutcome o = finder.find(kind, kCccd);
        EXPECT_EQ(o.kind, core::LookupOutcome::Kind::NotFound);
        EXPECT_FALSE(o.his_offline);
        EXPECT_TRUE(o.patient.masked_name.empty());
    }
}

TEST_F(PatientFinderTest, TheConfiguredIdentifierSystemsAreUsed) {
    store::IdentifierSystems mine;
    mine.cccd = "urn:oid:2.16.704.1.cccd";
    mine.bhyt = "urn:oid:2.16.704.1.bhyt";
    store::PatientCache cache(db_);
    // Cached under the default system only: the finder configured with other systems does not see it.
    cache.put("his-1", patient_json("his-1", "Lê", {"An"}, {{systems_.cccd, kCccd}}).dump(),
              {{systems_.cccd, kCccd}}, kNow);
    app::PatientFinder finder(db_, nullptr, mine, clock_);
    EXPECT_EQ(finder.find(core::IdKind::Cccd, kCccd).kind, core::LookupOutcome::Kind::NotFound);
    cache.put("his-2", patient_json("his-2", "Lê", {"Bình"}, {{mine.bhyt, kBhyt}}).dump(),
              {{mine.bhyt, kBhyt}}, kNow);
    const core::LookupOutcome o = finder.find(core::IdKind::Bhyt, kBhyt);
    ASSERT_EQ(o.kind, core::LookupOutcome::Kind::Found);
    EXPECT_EQ(o.patient.his_id, "his-2");
}

// --- With a HIS ----------------------------------------------------------------------------------------

TEST_F(PatientFinderTest, FoundByTheHisThenFromTheCacheWhenTheHisIsDown) {
    sync::PatientLookup lookup(transport_, kHisBase, db_, clock_);
    app::PatientFinder finder(db_, &lookup, systems_, clock_);
    transport_.handler = [&](const his::HttpRequest&) {
        return test::http(200,
                          bundle({patient_json("p-42", "Nguyễn", {"Văn", "An"}, {{systems_.cccd, kCccd}})}),
                          {{"content-type", "application/fhir+json"}});
    };
    const core::LookupOutcome first = finder.find(core::IdKind::Cccd, kCccd);
    ASSERT_EQ(first.kind, core::LookupOutcome::Kind::Found);
    EXPECT_EQ(first.patient.his_id, "p-42");
    EXPECT_EQ(first.patient.masked_name, "Nguyễn V*** A");
    EXPECT_FALSE(first.patient.from_cache);
    EXPECT_FALSE(first.his_offline);
    ASSERT_EQ(transport_.requests.size(), 1u);
    EXPECT_EQ(transport_.requests[0].method, "GET");
    EXPECT_NE(transport_.requests[0].url.find("/Patient?identifier="), std::string::npos);
    EXPECT_NE(transport_.requests[0].url.find(kCccd), std::string::npos);

    // A minute later the HIS's answer is still fresh: no second request.
    transport_.handler = [](const his::HttpRequest&) { return test::unreachable(); };
    clock_.advance(60'000);
    const core::LookupOutcome soon = finder.find(core::IdKind::Cccd, kCccd);
    ASSERT_EQ(soon.kind, core::LookupOutcome::Kind::Found);
    EXPECT_EQ(soon.patient.his_id, "p-42");
    EXPECT_FALSE(soon.patient.from_cache);
    EXPECT_EQ(transport_.requests.size(), 1u);

    // Hours later the HIS is asked again; it is down, so the cache answers and says so.
    clock_.advance(app::PatientFinder::kFreshFor);
    const core::LookupOutcome later = finder.find(core::IdKind::Cccd, kCccd);
    EXPECT_EQ(transport_.requests.size(), 2u);
    ASSERT_EQ(later.kind, core::LookupOutcome::Kind::Found);
    EXPECT_EQ(later.patient.his_id, "p-42");
    EXPECT_EQ(later.patient.masked_name, "Nguyễn V*** A");
    EXPECT_TRUE(later.patient.from_cache);
}

TEST_F(PatientFinderTest, HisSearchesUnderTheBhytSystemForABhytNumber) {
    sync::PatientLookup lookup(transport_, kHisBase, db_, clock_);
    app::PatientFinder finder(db_, &lookup, systems_, clock_);
    transport_.handler = [&](const his::HttpRequest&) {
        return test::http(200,
                          bundle({patient_json("p-7", "Phạm", {"Thu", "Hà"}, {{systems_.bhyt, kBhyt}})}));
    };
    const core::LookupOutcome o = finder.find(core::IdKind::Bhyt, kBhyt);
    ASSERT_EQ(o.kind, core::LookupOutcome::Kind::Found);
    EXPECT_EQ(o.patient.his_id, "p-7");
    EXPECT_EQ(o.patient.masked_name, "Phạm T*** H");
    ASSERT_EQ(transport_.requests.size(), 1u);
    EXPECT_NE(transport_.requests[0].url.find(his::url_encode(systems_.bhyt)), std::string::npos);
    EXPECT_EQ(transport_.requests[0].url.find(his::url_encode(systems_.cccd)), std::string::npos);
}

TEST_F(PatientFinderTest, HisAnsweringAnEmptyBundleIsNotFound) {
    sync::PatientLookup lookup(transport_, kHisBase, db_, clock_);
    app::PatientFinder finder(db_, &lookup, systems_, clock_);
    transport_.handler = [](const his::HttpRequest&) { return test::http(200, bundle({})); };
    const core::LookupOutcome o = finder.find(core::IdKind::Cccd, kCccd);
    EXPECT_EQ(o.kind, core::LookupOutcome::Kind::NotFound);
    EXPECT_FALSE(o.his_offline);
    EXPECT_EQ(transport_.requests.size(), 1u);
}

TEST_F(PatientFinderTest, HisAnsweringTwoPatientsIsSeveral) {
    sync::PatientLookup lookup(transport_, kHisBase, db_, clock_);
    app::PatientFinder finder(db_, &lookup, systems_, clock_);
    transport_.handler = [&](const his::HttpRequest&) {
        return test::http(200, bundle({patient_json("p-1", "Lê", {"An"}, {{systems_.cccd, kCccd}}),
                                       patient_json("p-2", "Lê", {"Văn", "An"}, {{systems_.cccd, kCccd}})}));
    };
    const core::LookupOutcome o = finder.find(core::IdKind::Cccd, kCccd);
    EXPECT_EQ(o.kind, core::LookupOutcome::Kind::Several);
    EXPECT_FALSE(o.his_offline);
}

TEST_F(PatientFinderTest, HisNotAskedAndNothingKnownIsHisUnavailableNotNotFound) {
    // Only the HIS can say nobody has this number: without its answer the kiosk must not say "not found"
    // (which offers a registration that could duplicate a patient the HIS knows).
    sync::PatientLookup lookup(transport_, kHisBase, db_, clock_);
    app::PatientFinder finder(db_, &lookup, systems_, clock_);
    his::HttpResponse timeout;
    timeout.error = his::TransportError::Timeout;
    timeout.error_detail = "Operation timed out";
    for (const auto& reply :
         {test::unreachable(), timeout, test::http(503, "busy"), test::http(200, "<html>"),
          test::http(401, "no token"), test::http(403, "forbidden")}) {
        SCOPED_TRACE(std::to_string(reply.status) + reply.error_detail);
        transport_.handler = [&](const his::HttpRequest&) { return reply; };
        for (const auto kind : {core::IdKind::Cccd, core::IdKind::Bhyt}) {
            const core::LookupOutcome o = finder.find(kind, kind == core::IdKind::Cccd ? kCccd : kBhyt);
            EXPECT_EQ(o.kind, core::LookupOutcome::Kind::HisUnavailable);
            EXPECT_TRUE(o.his_offline);
        }
    }
}

TEST_F(PatientFinderTest, RegisteredHereIsFoundWithoutTheHis) {
    store::PatientRegistry registry(db_);
    const auto reg = registry.register_patient(kiosk_a(), an(), systems_, kNow);
    sync::PatientLookup lookup(transport_, kHisBase, db_, clock_);
    app::PatientFinder finder(db_, &lookup, systems_, clock_);
    transport_.handler = [](const his::HttpRequest&) { return test::unreachable(); };
    const core::LookupOutcome o = finder.find(core::IdKind::Cccd, kCccd);
    ASSERT_EQ(o.kind, core::LookupOutcome::Kind::Found);
    EXPECT_EQ(o.patient.kiosk_patient_id, reg.kiosk_patient_id);
    EXPECT_EQ(o.patient.masked_name, "Nguyễn V*** A");
}

TEST_F(PatientFinderTest, CachedPatientIsCheckedWithTheHisWhenItAnswers) {
    // The cache holds what the HIS said earlier; the HIS has since corrected the record (a merge). With the
    // HIS reachable, the kiosk should show the HIS's answer, not the stale cache entry flagged from_cache.
    store::PatientCache cache(db_);
    cache.put("his-old", patient_json("his-old", "Lê", {"An"}, {{systems_.cccd, kCccd}}).dump(),
              {{systems_.cccd, kCccd}}, kNow - 86'400'000);
    sync::PatientLookup lookup(transport_, kHisBase, db_, clock_);
    app::PatientFinder finder(db_, &lookup, systems_, clock_);
    transport_.handler = [&](const his::HttpRequest&) {
        return test::http(200,
                          bundle({patient_json("his-new", "Lê", {"Văn", "An"}, {{systems_.cccd, kCccd}})}));
    };
    const core::LookupOutcome o = finder.find(core::IdKind::Cccd, kCccd);
    ASSERT_EQ(o.kind, core::LookupOutcome::Kind::Found);
    EXPECT_EQ(transport_.requests.size(), 1u);
    EXPECT_EQ(o.patient.his_id, "his-new");
    EXPECT_FALSE(o.patient.from_cache);
}

// --- fhir_patient_name ------------------------------------------------------------------------------------

TEST(FhirPatientName, TextFirst) {
    EXPECT_EQ(app::fhir_patient_name(R"({"resourceType":"Patient","name":[{"text":"Nguyễn Văn An",
        "family":"Nguyen","given":["Van","An"]}]})"),
              "Nguyễn Văn An");
}

TEST(FhirPatientName, FamilyThenGivenWithoutText) {
    EXPECT_EQ(app::fhir_patient_name(R"({"name":[{"family":"Trần","given":["Thị","Bình"]}]})"),
              "Trần Thị Bình");
    EXPECT_EQ(app::fhir_patient_name(R"({"name":[{"text":"","family":"Lê","given":["An"]}]})"), "Lê An");
    EXPECT_EQ(app::fhir_patient_name(R"({"name":[{"given":["An"]}]})"), "An");
    EXPECT_EQ(app::fhir_patient_name(R"({"name":[{"family":"Lê"}]})"), "Lê");
    // Entries that are not text are skipped, as are empty ones.
    EXPECT_EQ(app::fhir_patient_name(R"({"name":[{"family":"Nguyễn","given":["Văn",5,"","An"]}]})"),
              "Nguyễn Văn An");
    EXPECT_EQ(app::fhir_patient_name(R"({"name":[{"text":7,"family":"Lê","given":"An"}]})"), "Lê");
}

TEST(FhirPatientName, OfficialNameIsPreferred) {
    EXPECT_EQ(app::fhir_patient_name(
                  R"({"name":[{"use":"usual","text":"Bé Na"},{"use":"official","text":"Lê Thị Na"}]})"),
              "Lê Thị Na");
    EXPECT_EQ(app::fhir_patient_name(
                  R"({"name":[{"use":"official","text":"Lê Thị Na"},{"use":"nickname","text":"Bé Na"}]})"),
              "Lê Thị Na");
    EXPECT_EQ(app::fhir_patient_name(
                  R"({"name":[{"use":"official","text":"Lê Thị Na"},{"use":"official","text":"Lê Na"}]})"),
              "Lê Thị Na")
        << "the first official name";
    EXPECT_EQ(app::fhir_patient_name(
                  R"({"name":[{"use":"usual","text":"Bé Na"},{"use":"nickname","text":"Na Na"}]})"),
              "Bé Na")
        << "without an official name, the first";
    EXPECT_EQ(app::fhir_patient_name(R"({"name":["Lê Na",{"use":"usual","text":"Bé Na"}]})"), "Bé Na");
}

TEST(FhirPatientName, NoNameOrGarbageIsEmpty) {
    for (const char* json :
         {"", "not json", "{", "[]", "null", "42", R"("Lê An")", "{}", R"({"resourceType":"Patient"})",
          R"({"name":"Lê An"})", R"({"name":[]})", R"({"name":[1,"x",null]})",
          R"({"name":[{"use":"official"}]})", R"({"name":[{"family":"","given":[]}]})"}) {
        SCOPED_TRACE(json);
        EXPECT_EQ(app::fhir_patient_name(json), "");
    }
}

TEST_F(PatientFinderTest, RetentionForgetsOldHisAnswersAndDeliveredRegistrationsOnly) {
    constexpr core::UnixMillis kDay = 24LL * 60 * 60 * 1000;
    store::PatientCache cache(db_);
    cache.put("his-old", patient_json("his-old", "Lê", {"An"}, {{systems_.cccd, kCccd}}).dump(),
              {{systems_.cccd, kCccd}}, kNow - 40 * kDay);
    store::PatientRegistry registry(db_);
    registry.register_patient(kiosk_a(), an(), systems_, kNow - 40 * kDay); // still waiting for the HIS
    app::PatientFinder finder(db_, nullptr, systems_, clock_);

    EXPECT_EQ(finder.forget_older_than(kNow - 30 * kDay), 1); // the old HIS answer
    EXPECT_EQ(cache.count(), 0);
    EXPECT_EQ(registry.count(), 1); // undelivered: kept until the HIS has it
    // Delivered (its outbox row is gone): now it goes too.
    store::Outbox outbox(db_);
    std::vector<std::int64_t> ids;
    for (const auto& e : outbox.peek(10))
        ids.push_back(e.id);
    test::acknowledge(outbox, ids);
    EXPECT_EQ(finder.forget_older_than(kNow - 30 * kDay), 1);
    EXPECT_EQ(registry.count(), 0);
    EXPECT_EQ(finder.find(core::IdKind::Cccd, kCccd).kind, core::LookupOutcome::Kind::NotFound);
}
