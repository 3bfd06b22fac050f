#include "kiosk/store/outbox.hpp"
#include "kiosk/store/patient_registry.hpp"
#include "kiosk/store/statement.hpp"
#include "store/store_test_support.hpp"
#include "temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace kiosk::store {

// Readable failure output for EXPECT_EQ on rows (found by argument-dependent lookup).
void PrintTo(const RegisteredPatient& p, std::ostream* os) {
    *os << "{" << p.kiosk_patient_id << ", registered_at " << p.registered_at << ", cccd '" << p.details.cccd
        << "', bhyt '" << p.details.bhyt << "', '" << p.details.full_name << "'}";
}

namespace {

using test::query_int;
using test::store_error_of;
using test::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// 2026-11-30 08:00 at the site (+07:00).
const core::UnixMillis kT0 = test::utc_ms(2026, 11, 30, 1, 0, 0);
constexpr core::UnixMillis kMinute = 60'000;

core::PatientDetails an() {
    return test::patient_an();
}

core::PatientDetails hoa() {
    core::PatientDetails d;
    d.cccd = "052185004321";
    d.full_name = "Trần Thị Hoa";
    d.sex = core::Sex::Female;
    return d;
}

core::PatientDetails bhyt_only(const std::string& bhyt) {
    core::PatientDetails d;
    d.bhyt = bhyt;
    d.full_name = "Lê Minh";
    return d;
}

// Fails when `text` repeats any personal detail of `d`.
void expect_no_personal_data(const std::string& text, const core::PatientDetails& d) {
    std::vector<std::string> values = {d.cccd, d.bhyt, d.full_name, d.address, d.phone};
    values.push_back(d.full_name.substr(0, d.full_name.find(' '))); // the family name alone
    if (d.birth_date) values.push_back(d.birth_date->iso());
    for (const auto& value : values) {
        if (!value.empty()) {
            EXPECT_THAT(text, Not(HasSubstr(value)));
        }
    }
}

template <typename F> std::string invalid_argument_of(F&& f) {
    try {
        std::forward<F>(f)();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected std::invalid_argument";
    return {};
}

struct RegistryFixture : ::testing::Test {
    TempDir dir;
    std::optional<Database> db{Database::open(dir / "kiosk.db")};
    std::optional<PatientRegistry> registry{std::in_place, *db};
    std::optional<Outbox> outbox{std::in_place, *db};
    core::KioskIdentity kiosk = test::kiosk_b();
    IdentifierSystems systems;

    void reopen() {
        outbox.reset();
        registry.reset();
        db.reset();
        db.emplace(Database::open(dir / "kiosk.db"));
        registry.emplace(*db);
        outbox.emplace(*db);
    }

    RegisteredPatient add(const core::PatientDetails& d, core::UnixMillis at = kT0) {
        return registry->register_patient(kiosk, d, systems, at);
    }

    std::int64_t counters() const { return query_int(*db, "SELECT count(*) FROM kiosk_patient_counters"); }

    // The HIS acknowledged every outbox row.
    void deliver_all() {
        std::vector<std::int64_t> ids;
        for (const auto& e : outbox->peek(1000))
            ids.push_back(e.id);
        test::acknowledge(*outbox, ids);
    }
};

using PatientRegistryTest = RegistryFixture;

TEST_F(PatientRegistryTest, RegisteringWritesThePatientAndItsOutboxRow) {
    const auto p = add(an());

    EXPECT_EQ(p.kiosk_patient_id, "BVDK-QN-20261130-P-B0001");
    EXPECT_EQ(p.details, an());
    EXPECT_EQ(p.registered_at, kT0);
    EXPECT_EQ(registry->count(), 1);
    EXPECT_THAT(registry->find_by_cccd(an().cccd), ElementsAre(p));
    EXPECT_THAT(registry->find_by_bhyt(an().bhyt), ElementsAre(p));

    const auto rows = outbox->peek(10);
    ASSERT_EQ(rows.size(), 1U);
    EXPECT_EQ(rows[0].aggregate_type, "patient");
    EXPECT_EQ(rows[0].operation, "create");
    EXPECT_EQ(rows[0].aggregate_id, p.kiosk_patient_id);
    EXPECT_EQ(rows[0].identifier, p.kiosk_patient_id);
    EXPECT_EQ(rows[0].created_at, kT0);
    const auto payload = nlohmann::json::parse(rows[0].payload_json);
    const nlohmann::json expected = {
        {"kiosk_patient_id", "BVDK-QN-20261130-P-B0001"},
        {"site_id", "BVDK-QN"},
        {"kiosk_id", "SANH-A-01"},
        {"registered_at", kT0},
        {"identifier_systems",
         {{"cccd", "http://fhir.ehealth.gov.vn/core/sid/national_id"},
          {"bhyt", "http://fhir.ehealth.gov.vn/core/sid/insurance_number"}}},
        {"cccd", "079090001234"},
        {"bhyt", "DN4797915000001"},
        {"full_name", "Nguyễn Văn An"},
        {"birth_date", "1990-04-12"},
        {"sex", "male"},
        {"address", "12 Lê Lợi, Quy Nhơn, Bình Định"},
        {"phone", "0912345678"},
    };
    EXPECT_EQ(payload, expected) << payload.dump(2);
}

TEST_F(PatientRegistryTest, AbsentDetailsAreNullInTheTableAndLeftOutOfThePayload) {
    systems.bhyt = "urn:oid:1.2.3.4.bhyt";
    const auto p = add(bhyt_only("HC4797915000002"));

    EXPECT_EQ(p.details, bhyt_only("HC4797915000002"));
    EXPECT_THAT(registry->find_by_bhyt("HC4797915000002"), ElementsAre(p));
    EXPECT_EQ(query_int(*db, "SELECT count(*) FROM kiosk_patients WHERE cccd IS NULL AND birth_date IS NULL "
                             "AND address IS NULL AND phone IS NULL AND sex = 'unknown'"),
              1);
    const auto payload = nlohmann::json::parse(outbox->peek(1).at(0).payload_json);
    for (const char* key : {"cccd", "birth_date", "address", "phone"})
        EXPECT_FALSE(payload.contains(key)) << key;
    EXPECT_EQ(payload["bhyt"], "HC4797915000002");
    EXPECT_EQ(payload["sex"], "unknown");
    EXPECT_EQ(payload["identifier_systems"]["bhyt"], "urn:oid:1.2.3.4.bhyt");
}

TEST_F(PatientRegistryTest, EverySexRoundTrips) {
    for (const auto sex : {core::Sex::Male, core::Sex::Female, core::Sex::Unknown}) {
        auto d = bhyt_only("DN47979150000" + std::to_string(10 + static_cast<int>(sex)));
        d.sex = sex;
        const auto p = add(d);
        ASSERT_EQ(registry->find_by_bhyt(d.bhyt).size(), 1U);
        EXPECT_EQ(registry->find_by_bhyt(d.bhyt)[0], p);
        EXPECT_EQ(p.details.sex, sex);
    }
}

TEST_F(PatientRegistryTest, SequenceCountsPerKioskLetterAndLocalDay) {
    EXPECT_EQ(add(an()).kiosk_patient_id, "BVDK-QN-20261130-P-B0001");
    EXPECT_EQ(add(hoa(), kT0 + kMinute).kiosk_patient_id, "BVDK-QN-20261130-P-B0002");

    kiosk.kiosk_letter = 'C'; // another kiosk of the site sharing this file (as in a test bench)
    EXPECT_EQ(add(bhyt_only("DN4797915000003")).kiosk_patient_id, "BVDK-QN-20261130-P-C0001");
    kiosk.kiosk_letter = 'B';

    // 23:59 local is still the 30th; 00:00 local (17:00 UTC) is the 1st of December.
    EXPECT_EQ(add(bhyt_only("DN4797915000004"), test::utc_ms(2026, 11, 30, 16, 59, 0)).kiosk_patient_id,
              "BVDK-QN-20261130-P-B0003");
    EXPECT_EQ(add(bhyt_only("DN4797915000005"), test::utc_ms(2026, 11, 30, 17, 0, 0)).kiosk_patient_id,
              "BVDK-QN-20261201-P-B0001");
    EXPECT_EQ(registry->count(), 5);
    EXPECT_EQ(outbox->count(), 5);
}

TEST_F(PatientRegistryTest, SequenceIsNeverReusedAfterReopeningOrForgetting) {
    add(an());
    add(hoa(), kT0 + kMinute);
    reopen();
    EXPECT_EQ(add(bhyt_only("DN4797915000003"), kT0 + 2 * kMinute).kiosk_patient_id,
              "BVDK-QN-20261130-P-B0003");

    deliver_all();
    EXPECT_EQ(registry->forget_delivered_older_than(kT0 + 10 * kMinute), 3);
    EXPECT_EQ(registry->count(), 0);
    reopen();
    // The same patient again, the same day: a new registration with a new number, never an old one.
    EXPECT_EQ(add(an(), kT0 + 20 * kMinute).kiosk_patient_id, "BVDK-QN-20261130-P-B0004");
}

TEST_F(PatientRegistryTest, AFailingOutboxInsertLeavesNoPatientAndNoCounterStep) {
    // The outbox refuses patient rows, after the patient row has been inserted in the same transaction.
    db->exec("CREATE TRIGGER refuse_patient_rows BEFORE INSERT ON outbox WHEN NEW.aggregate_type = 'patient' "
             "BEGIN SELECT RAISE(ABORT, 'test: the outbox refuses'); END");

    const auto msg = store_error_of([&] { add(an()); });
    EXPECT_THAT(msg, HasSubstr("nothing was written"));
    EXPECT_THAT(msg, HasSubstr("test: the outbox refuses"));
    expect_no_personal_data(msg, an());
    EXPECT_EQ(registry->count(), 0);
    EXPECT_THAT(registry->find_by_cccd(an().cccd), IsEmpty());
    EXPECT_EQ(outbox->count(), 0);
    EXPECT_EQ(counters(), 0);

    db->exec("DROP TRIGGER refuse_patient_rows");
    EXPECT_EQ(add(an()).kiosk_patient_id, "BVDK-QN-20261130-P-B0001");
    EXPECT_EQ(outbox->count(), 1);
}

TEST_F(PatientRegistryTest, AnOutboxIdentifierCollisionRollsThePatientBack) {
    // A row already holding the identifier the registration is about to use: the outbox's UNIQUE
    // constraint fails after the patient row was written.
    db->exec("INSERT INTO outbox (aggregate_type, aggregate_id, operation, identifier, payload, created_at) "
             "VALUES ('ticket', 'x', 'create', 'BVDK-QN-20261130-P-B0001', '{}', 0)");

    for (int attempt = 0; attempt < 2; ++attempt) {
        const auto msg = store_error_of([&] { add(an()); });
        EXPECT_THAT(msg, HasSubstr("UNIQUE constraint failed: outbox.identifier"));
        expect_no_personal_data(msg, an());
        EXPECT_EQ(registry->count(), 0);
        EXPECT_EQ(counters(), 0) << "the counter step was rolled back too";
    }
    EXPECT_EQ(outbox->count(), 1);

    db->exec("DELETE FROM outbox");
    EXPECT_EQ(add(an()).kiosk_patient_id, "BVDK-QN-20261130-P-B0001");
}

TEST_F(PatientRegistryTest, TheSameCccdIsNotRegisteredTwice) {
    const auto first = add(an());
    auto again = an();
    again.full_name = "Nguyễn Văn Anh"; // a typo fixed, another phone: still the same person
    again.phone = "0987654321";
    again.bhyt.clear();

    EXPECT_EQ(add(again, kT0 + kMinute), first);
    EXPECT_EQ(registry->count(), 1);
    EXPECT_EQ(outbox->count(), 1) << "nothing is queued for a known patient";
    EXPECT_EQ(counters(), 1);
    EXPECT_THAT(registry->find_by_cccd(an().cccd), ElementsAre(first));
}

TEST_F(PatientRegistryTest, WithoutCccdTheSameBhytIsNotRegisteredTwice) {
    const auto first = add(an()); // CCCD and BHYT
    EXPECT_EQ(add(bhyt_only(an().bhyt), kT0 + kMinute), first);
    const auto only_bhyt = add(bhyt_only("DN4797915000009"), kT0 + 2 * kMinute);
    EXPECT_EQ(add(bhyt_only("DN4797915000009"), kT0 + 3 * kMinute), only_bhyt);
    EXPECT_EQ(registry->count(), 2);
    EXPECT_EQ(outbox->count(), 2);

    // With a CCCD only the CCCD is compared: a new CCCD with a known BHYT is a new registration.
    auto with_cccd = bhyt_only("DN4797915000009");
    with_cccd.cccd = "001201009999";
    const auto third = add(with_cccd, kT0 + 4 * kMinute);
    EXPECT_NE(third.kiosk_patient_id, only_bhyt.kiosk_patient_id);
    EXPECT_THAT(registry->find_by_bhyt("DN4797915000009"), ElementsAre(only_bhyt, third));
}

TEST_F(PatientRegistryTest, FindComparesExactlyAndFindsNobodyForEmpty) {
    const auto a = add(an());
    const auto h = add(hoa(), kT0 + kMinute);
    const auto m = add(bhyt_only("HC4797915000002"), kT0 + 2 * kMinute);

    EXPECT_THAT(registry->find_by_cccd(hoa().cccd), ElementsAre(h));
    EXPECT_THAT(registry->find_by_bhyt("HC4797915000002"), ElementsAre(m));
    EXPECT_THAT(registry->find_by_cccd(""), IsEmpty()) << "absent numbers are not a match";
    EXPECT_THAT(registry->find_by_bhyt(""), IsEmpty());
    EXPECT_THAT(registry->find_by_bhyt("hc4797915000002"), IsEmpty());
    EXPECT_THAT(registry->find_by_cccd("07909000123"), IsEmpty());
    EXPECT_THAT(registry->find_by_cccd(an().bhyt), IsEmpty()) << "a BHYT is not a CCCD";
    EXPECT_THAT(registry->find_by_bhyt(an().cccd), IsEmpty());
    EXPECT_EQ(registry->find_by_cccd(an().cccd), std::vector<RegisteredPatient>{a});
}

TEST_F(PatientRegistryTest, ForgetDeletesOnlyDeliveredRegistrationsBeforeTheCutoff) {
    const auto delivered_old = add(an(), kT0);
    const auto waiting_old = add(hoa(), kT0 + kMinute);
    const auto refused_old = add(bhyt_only("DN4797915000003"), kT0 + 2 * kMinute);
    const auto delivered_new = add(bhyt_only("DN4797915000004"), kT0 + 10 * kMinute);

    const auto rows = outbox->peek(10);
    ASSERT_EQ(rows.size(), 4U);
    test::acknowledge(*outbox, {rows[0].id, rows[3].id});
    test::quarantine(*outbox, rows[2].id, "rejected: 422", kT0 + 3 * kMinute);

    const core::UnixMillis cutoff = kT0 + 10 * kMinute; // delivered_new was registered exactly then
    EXPECT_EQ(registry->forget_delivered_older_than(cutoff), 1);
    EXPECT_THAT(registry->find_by_cccd(an().cccd), IsEmpty());
    EXPECT_THAT(registry->find_by_cccd(hoa().cccd), ElementsAre(waiting_old)) << "still in the outbox";
    EXPECT_THAT(registry->find_by_bhyt("DN4797915000003"), ElementsAre(refused_old)) << "a dead letter";
    EXPECT_THAT(registry->find_by_bhyt("DN4797915000004"), ElementsAre(delivered_new)) << "not older";
    EXPECT_EQ(registry->count(), 3);
    EXPECT_EQ(registry->forget_delivered_older_than(cutoff), 0);

    // Once the HIS has the waiting one, it goes too.
    test::acknowledge(*outbox, {rows[1].id});
    EXPECT_EQ(registry->forget_delivered_older_than(cutoff), 1);
    EXPECT_EQ(registry->forget_delivered_older_than(cutoff + 1), 1);
    EXPECT_EQ(registry->count(), 1);
    EXPECT_THAT(registry->find_by_bhyt("DN4797915000003"), ElementsAre(refused_old));
    EXPECT_EQ(delivered_old.kiosk_patient_id, "BVDK-QN-20261130-P-B0001");
}

TEST_F(PatientRegistryTest, RetentionAlsoForgetsRefusedRegistrationsAndTheirDeadLetters) {
    // Issue 8, item 9: a registration the HIS refused kept its row and its dead letter (the whole payload,
    // and a reason that may quote the Patient) for ever.
    const auto refused_old = add(an(), kT0);
    const auto refused_new = add(hoa(), kT0 + kMinute);
    const auto waiting_old = add(bhyt_only("DN4797915000003"), kT0 + 2 * kMinute);
    const auto rows = outbox->peek(10);
    ASSERT_EQ(rows.size(), 3U);
    const std::string quoted = "rejected: Patient.birthDate invalid in {\"name\":\"Nguyễn Văn An\"}";
    test::quarantine(*outbox, rows[0].id, quoted, kT0 + 3 * kMinute);
    test::quarantine(*outbox, rows[1].id, "rejected: 422", kT0 + 40 * kMinute);

    const core::UnixMillis cutoff = kT0 + 30 * kMinute;
    EXPECT_EQ(registry->forget_older_than(cutoff), 2) << "the old dead letter and its registration";
    EXPECT_THAT(registry->find_by_cccd(an().cccd), IsEmpty());
    EXPECT_THAT(registry->find_by_cccd(hoa().cccd), ElementsAre(refused_new))
        << "its dead letter is newer than the cutoff: staff still have it";
    EXPECT_THAT(registry->find_by_bhyt("DN4797915000003"), ElementsAre(waiting_old)) << "still to send";
    const auto dead = outbox->dead_letters(10);
    ASSERT_EQ(dead.size(), 1U);
    EXPECT_EQ(dead[0].aggregate_id, refused_new.kiosk_patient_id);
    EXPECT_EQ(query_int(*db, "SELECT count(*) FROM outbox_dead WHERE aggregate_id = '" +
                                 refused_old.kiosk_patient_id + "'"),
              0);
    EXPECT_EQ(registry->forget_older_than(cutoff), 0);

    // Nothing of the refused patient is left in the file, also not in freed pages (secure_delete). Closing
    // the only connection checkpoints the WAL into the file.
    outbox.reset();
    registry.reset();
    db.reset();
    const std::string bytes =
        test::read_bytes(dir / "kiosk.db") + test::read_bytes_if_any(dir / "kiosk.db-wal");
    EXPECT_EQ(bytes.find(an().cccd), std::string::npos);
    EXPECT_EQ(bytes.find("Patient.birthDate invalid"), std::string::npos);
    reopen();

    // Later, past its retention too, the other one goes.
    EXPECT_EQ(registry->forget_older_than(kT0 + 41 * kMinute), 2);
    EXPECT_EQ(outbox->dead_count(), 0);
    EXPECT_EQ(registry->count(), 1);
}

TEST_F(PatientRegistryTest, RetentionKeepsDeliveredHisIdsWhileATicketStillWaitsForThem) {
    const auto p = add(an(), kT0);
    const auto rows = outbox->peek(10);
    ASSERT_EQ(rows.size(), 1U);
    outbox->record(Outbox::Results{{{rows[0].id, "Patient/desk-1"}}, {}, {}}, kT0 + kMinute);
    EXPECT_EQ(outbox->delivered_resource(rows[0].id), "Patient/desk-1");
    {
        // A ticket still to send that refers to the registration.
        detail::Transaction tx(*db);
        outbox->add({"ticket", "T-1", "create", "T-1", "{}", rows[0].id}, kT0 + 2 * kMinute);
        tx.commit();
    }
    EXPECT_EQ(registry->forget_older_than(kT0 + 60 * kMinute), 1) << "the delivered registration";
    EXPECT_EQ(outbox->delivered_resource(rows[0].id), "Patient/desk-1") << "the ticket still needs it";
    const auto waiting = outbox->peek(10);
    ASSERT_EQ(waiting.size(), 1U);
    EXPECT_EQ(waiting[0].depends_on_resource, "Patient/desk-1");
    test::acknowledge(*outbox, {waiting[0].id});
    registry->forget_older_than(kT0 + 60 * kMinute);
    EXPECT_EQ(outbox->delivered_resource(rows[0].id), std::nullopt);
    EXPECT_EQ(p.kiosk_patient_id, "BVDK-QN-20261130-P-B0001");
}

TEST_F(PatientRegistryTest, InvalidArgumentsWriteNothingAndDoNotRepeatTheDetails) {
    struct Case {
        const char* what;
        core::PatientDetails details;
        core::KioskIdentity kiosk;
        IdentifierSystems systems;
    };
    const auto k = test::kiosk_b();
    auto no_number = an();
    no_number.cccd.clear();
    no_number.bhyt.clear();
    auto no_name = an();
    no_name.full_name.clear();
    auto blank_name = an();
    blank_name.full_name = "  \t ";
    auto bad_utf8 = an();
    bad_utf8.full_name = "Nguy\xE1\xBB"; // cut in the middle of "ễ"
    auto bad_letter = k;
    bad_letter.kiosk_letter = 'b';
    auto no_site = k;
    no_site.site_id.clear();
    const std::vector<Case> cases = {
        {"neither CCCD nor BHYT", no_number, k, {}},
        {"no name", no_name, k, {}},
        {"blank name", blank_name, k, {}},
        {"name not UTF-8", bad_utf8, k, {}},
        {"kiosk letter", an(), bad_letter, {}},
        {"no site", an(), no_site, {}},
        {"no CCCD system", an(), k, {"", "http://fhir.ehealth.gov.vn/core/sid/insurance_number"}},
        {"no BHYT system", an(), k, {"http://fhir.ehealth.gov.vn/core/sid/national_id", ""}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        const auto msg =
            invalid_argument_of([&] { registry->register_patient(c.kiosk, c.details, c.systems, kT0); });
        expect_no_personal_data(msg, an());
    }
    EXPECT_EQ(registry->count(), 0);
    EXPECT_EQ(outbox->count(), 0);
    EXPECT_EQ(counters(), 0);
}

TEST_F(PatientRegistryTest, AMalformedStoredRowIsReportedWithoutItsValue) {
    const auto p = add(an());
    db->exec("UPDATE kiosk_patients SET birth_date = '1990-14-12'");
    const auto msg = store_error_of([&] { (void)registry->find_by_cccd(an().cccd); });
    EXPECT_THAT(msg, HasSubstr(p.kiosk_patient_id));
    EXPECT_THAT(msg, HasSubstr("birth_date"));
    EXPECT_THAT(msg, Not(HasSubstr("1990-14-12")));
    expect_no_personal_data(msg, an());

    // Registering the same person looks them up first: the error surfaces there too, and nothing is written.
    const auto reg = store_error_of([&] { add(an(), kT0 + kMinute); });
    EXPECT_THAT(reg, Not(HasSubstr("1990-14-12")));
    expect_no_personal_data(reg, an());
    EXPECT_EQ(outbox->count(), 1);
}

TEST_F(PatientRegistryTest, TheTableRefusesARowWithoutAnyNumberOrWithAnUnknownSex) {
    // The schema's own checks, in case some other code writes the table.
    EXPECT_THROW(db->exec("INSERT INTO kiosk_patients (kiosk_patient_id, full_name, sex, registered_at) "
                          "VALUES ('x', 'y', 'unknown', 0)"),
                 StoreError);
    EXPECT_THROW(
        db->exec("INSERT INTO kiosk_patients (kiosk_patient_id, cccd, full_name, sex, registered_at) "
                 "VALUES ('x', '1', 'y', 'M', 0)"),
        StoreError);
    EXPECT_EQ(registry->count(), 0);
}

TEST(PatientRegistryOpenTest, ADatabaseBeforeMigrationFiveIsRefused) {
    TempDir dir;
    auto db = Database::open_unmigrated(dir / "kiosk.db");
    migrate(db, 4);
    EXPECT_THROW(PatientRegistry registry(db), StoreError);
    migrate(db);
    PatientRegistry registry(db);
    EXPECT_EQ(registry.count(), 0);
}

} // namespace
} // namespace kiosk::store
