#include "kiosk/store/patient_cache.hpp"
#include "kiosk/store/statement.hpp"
#include "store/store_test_support.hpp"
#include "temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace kiosk::store {

// Readable failure output for EXPECT_EQ on rows (found by argument-dependent lookup).
void PrintTo(const CachedPatient& p, std::ostream* os) {
    *os << "{" << p.fhir_id << ", fetched_at " << p.fetched_at << ", " << p.json << "}";
}

namespace {

using test::query_int;
using test::TempDir;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr const char* kCccd = "urn:kiosk:vn:cccd";
constexpr const char* kBhyt = "urn:kiosk:vn:bhyt";
constexpr core::UnixMillis kT0 = 1795480200000;

std::vector<std::string> ids_of(const std::vector<CachedPatient>& patients) {
    std::vector<std::string> ids;
    for (const auto& p : patients)
        ids.push_back(p.fhir_id);
    return ids;
}

std::int64_t identifier_rows(const Database& db, const char* fhir_id) {
    return query_int(db, "SELECT count(*) FROM his_patient_identifiers WHERE fhir_id = ?1", fhir_id);
}

struct CacheFixture : ::testing::Test {
    TempDir dir;
    std::optional<Database> db{Database::open(dir / "kiosk.db")};
    std::optional<PatientCache> cache{std::in_place, *db};

    void reopen() {
        cache.reset();
        db.reset();
        db.emplace(Database::open(dir / "kiosk.db"));
        cache.emplace(*db);
    }
};

using PatientCacheTest = CacheFixture;

TEST_F(PatientCacheTest, PutThenFindByEveryIdentifier) {
    const std::string json = R"({"resourceType":"Patient","id":"p1","name":[{"text":"Nguyễn Thị Hoa"}]})";
    cache->put("p1", json, {{kCccd, "079190000001"}, {kBhyt, "DN4797915000001"}}, kT0);

    EXPECT_THAT(cache->find(kCccd, "079190000001"), ElementsAre(CachedPatient{"p1", json, kT0}));
    EXPECT_THAT(cache->find(kBhyt, "DN4797915000001"), ElementsAre(CachedPatient{"p1", json, kT0}));
    EXPECT_THAT(cache->find(kCccd, "079190000002"), IsEmpty());
    EXPECT_THAT(cache->find(kBhyt, "079190000001"), IsEmpty()) << "the system is part of the key";
    EXPECT_EQ(cache->count(), 1);
}

TEST_F(PatientCacheTest, RePutReplacesJsonAndIdentifiers) {
    cache->put("p1", R"({"v":1})", {{kCccd, "079190000001"}, {kBhyt, "DN4797915000001"}}, kT0);
    cache->put("p1", R"({"v":2})", {{kCccd, "079190000009"}}, kT0 + 5000);

    EXPECT_THAT(cache->find(kCccd, "079190000001"), IsEmpty());
    EXPECT_THAT(cache->find(kBhyt, "DN4797915000001"), IsEmpty());
    EXPECT_THAT(cache->find(kCccd, "079190000009"),
                ElementsAre(CachedPatient{"p1", R"({"v":2})", kT0 + 5000}));
    EXPECT_EQ(cache->count(), 1);
    EXPECT_EQ(identifier_rows(*db, "p1"), 1);
}

TEST_F(PatientCacheTest, IdentifierListedTwiceIsStoredOnce) {
    cache->put("p1", "{}", {{kCccd, "079190000001"}, {kCccd, "079190000001"}}, kT0);
    EXPECT_EQ(identifier_rows(*db, "p1"), 1);
    EXPECT_THAT(ids_of(cache->find(kCccd, "079190000001")), ElementsAre("p1"));
}

TEST_F(PatientCacheTest, TwoPatientsSharingAnIdentifierAreBothFound) {
    cache->put("p2", R"({"n":2})", {{kBhyt, "GD4797915000077"}, {kCccd, "079190000002"}}, kT0);
    cache->put("p1", R"({"n":1})", {{kBhyt, "GD4797915000077"}, {kCccd, "079190000001"}}, kT0 + 1);

    EXPECT_THAT(cache->find(kBhyt, "GD4797915000077"), ElementsAre(CachedPatient{"p1", R"({"n":1})", kT0 + 1},
                                                                   CachedPatient{"p2", R"({"n":2})", kT0}));
    EXPECT_THAT(ids_of(cache->find(kCccd, "079190000002")), ElementsAre("p2"));
}

TEST_F(PatientCacheTest, ForgetOlderThanDeletesPatientsAndTheirIdentifiers) {
    cache->put("old", "{}", {{kCccd, "079190000001"}, {kBhyt, "DN4797915000001"}}, kT0);
    cache->put("edge", "{}", {{kCccd, "079190000002"}}, kT0 + 1000);
    cache->put("new", "{}", {{kCccd, "079190000003"}}, kT0 + 2000);

    cache->forget_older_than(kT0 + 1000);

    EXPECT_EQ(cache->count(), 2);
    EXPECT_THAT(cache->find(kCccd, "079190000001"), IsEmpty());
    EXPECT_THAT(cache->find(kBhyt, "DN4797915000001"), IsEmpty());
    EXPECT_THAT(ids_of(cache->find(kCccd, "079190000002")), ElementsAre("edge"))
        << "fetched_at == cutoff stays";
    EXPECT_THAT(ids_of(cache->find(kCccd, "079190000003")), ElementsAre("new"));
    // Really gone (ON DELETE CASCADE), not merely hidden by the join.
    EXPECT_EQ(identifier_rows(*db, "old"), 0);
    EXPECT_EQ(query_int(*db, "SELECT count(*) FROM his_patient_identifiers"), 2);
}

TEST_F(PatientCacheTest, FailedPutWritesNothing) {
    cache->put("p1", R"({"v":1})", {{kCccd, "079190000001"}}, kT0);
    // Make the second identifier insert of the next put fail half-way through.
    db->exec("CREATE TEMP TRIGGER fail_identifier BEFORE INSERT ON main.his_patient_identifiers "
             "WHEN NEW.value = 'BOOM' BEGIN SELECT RAISE(ABORT, 'injected failure'); END");

    // p1: its json, fetched_at and old identifier rows must all survive.
    EXPECT_THROW(cache->put("p1", R"({"v":2})", {{kCccd, "079190000002"}, {kBhyt, "BOOM"}}, kT0 + 1),
                 StoreError);
    EXPECT_THAT(cache->find(kCccd, "079190000001"), ElementsAre(CachedPatient{"p1", R"({"v":1})", kT0}));
    EXPECT_THAT(cache->find(kCccd, "079190000002"), IsEmpty());
    // A new patient: no row at all.
    EXPECT_THROW(cache->put("p2", "{}", {{kCccd, "079190000003"}, {kBhyt, "BOOM"}}, kT0 + 1), StoreError);
    EXPECT_EQ(cache->count(), 1);
    EXPECT_EQ(query_int(*db, "SELECT count(*) FROM his_patient_identifiers"), 1);

    // replace_matches is one transaction too: the unlink of p1 is undone with the failed put.
    EXPECT_THROW(cache->replace_matches(kCccd, "079190000001", {{"p3", "{}", {{kBhyt, "BOOM"}}}}, kT0 + 2),
                 StoreError);
    EXPECT_THAT(ids_of(cache->find(kCccd, "079190000001")), ElementsAre("p1"));
    EXPECT_EQ(cache->count(), 1);

    db->exec("DROP TRIGGER fail_identifier");
    cache->put("p2", "{}", {{kCccd, "079190000003"}, {kBhyt, "OK"}}, kT0 + 1);
    EXPECT_EQ(cache->count(), 2) << "the cache works again once the failure is gone";
}

TEST_F(PatientCacheTest, ErrorMessageHasNoIdentifierValue) {
    db->exec("CREATE TEMP TRIGGER fail_identifier BEFORE INSERT ON main.his_patient_identifiers "
             "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    try {
        cache->put("p1", "{}", {{kCccd, "079190000042"}}, kT0);
        FAIL() << "put must throw";
    } catch (const StoreError& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("injected failure"));
        EXPECT_THAT(e.what(), ::testing::Not(::testing::HasSubstr("079190000042")));
    }
}

TEST_F(PatientCacheTest, SurvivesReopen) {
    const std::string json = R"({"resourceType":"Patient","name":[{"text":"Trần Văn Đức"}]})";
    cache->put("p1", json, {{kCccd, "079190000001"}}, kT0);
    reopen();
    EXPECT_THAT(cache->find(kCccd, "079190000001"), ElementsAre(CachedPatient{"p1", json, kT0}));
    EXPECT_EQ(cache->count(), 1);
}

TEST_F(PatientCacheTest, ReplaceMatchesWithNoneUnlinksAndDropsOrphans) {
    cache->put("only-cccd", "{}", {{kCccd, "079190000001"}}, kT0);
    cache->put("also-bhyt", "{}", {{kCccd, "079190000001"}, {kBhyt, "DN4797915000001"}}, kT0);
    cache->put("other", "{}", {{kCccd, "079190000002"}}, kT0);

    cache->replace_matches(kCccd, "079190000001", {}, kT0 + 10);

    EXPECT_THAT(cache->find(kCccd, "079190000001"), IsEmpty());
    EXPECT_THAT(ids_of(cache->find(kBhyt, "DN4797915000001")), ElementsAre("also-bhyt"))
        << "a patient still reachable by another identifier stays";
    EXPECT_THAT(ids_of(cache->find(kCccd, "079190000002")), ElementsAre("other"));
    EXPECT_EQ(cache->count(), 2) << "the patient left without identifiers is deleted";
    EXPECT_EQ(query_int(*db, "SELECT count(*) FROM his_patients WHERE fhir_id = 'only-cccd'"), 0);
}

TEST_F(PatientCacheTest, ReplaceMatchesKeepsExactlyTheAnswer) {
    cache->put("was-matched", "{}", {{kCccd, "079190000001"}}, kT0);
    cache->put("still-matched", R"({"v":1})", {{kCccd, "079190000001"}}, kT0);

    // The HIS now answers with still-matched (new version) and a new one whose identifiers the caller did
    // not list: the searched pair is linked anyway. was-matched is no longer an answer.
    cache->replace_matches(kCccd, "079190000001",
                           {{"still-matched", R"({"v":2})", {{kCccd, "079190000001"}, {kBhyt, "DN1"}}},
                            {"new", R"({"v":3})", {}}},
                           kT0 + 10);

    EXPECT_THAT(cache->find(kCccd, "079190000001"),
                UnorderedElementsAre(CachedPatient{"new", R"({"v":3})", kT0 + 10},
                                     CachedPatient{"still-matched", R"({"v":2})", kT0 + 10}));
    EXPECT_THAT(ids_of(cache->find(kBhyt, "DN1")), ElementsAre("still-matched"));
    EXPECT_EQ(query_int(*db, "SELECT count(*) FROM his_patients WHERE fhir_id = 'was-matched'"), 0);
    EXPECT_EQ(cache->count(), 2);
}

} // namespace
} // namespace kiosk::store
