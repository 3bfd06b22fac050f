#include "kiosk/app/his_wiring.hpp"

#include "kiosk/app/config.hpp"
#include "kiosk/app/startup_error.hpp"
#include "kiosk/store/database.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>

namespace {

using namespace kiosk;
using namespace kiosk::app;
using kiosk::test::TempDir;
using Purpose = HisWiring::Purpose;

SiteConfig his_config() {
    SiteConfig c;
    c.identity.kiosk.site_id = "BVDK-QN";
    c.identity.kiosk.kiosk_id = "SANH-A-01";
    c.his.base_url = "https://his.example.vn/fhir";
    c.his.identifier_base = "https://bvdk-qn.vn/fhir/sid/";
    c.his.ca_bundle = "/etc/kiosk/his-ca.pem";
    c.his.lookup_timeout_seconds = 2;
    return c;
}

std::filesystem::path write_secret(const TempDir& dir, const std::string& text,
                                   std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                                                  std::filesystem::perms::owner_write) {
    const auto file = dir.path() / "secret";
    std::ofstream(file) << text;
    std::filesystem::permissions(file, perms);
    return file;
}

TEST(HisWiring, NoBaseUrlIsNoHis) {
    SiteConfig c = his_config();
    c.his.base_url.clear();
    EXPECT_FALSE(HisWiring::from(c, nullptr).has_value());
}

TEST(HisWiring, TheSyncAndTheLookupShareTheConnectionSettingsWithTheirOwnTimeouts) {
    std::atomic<bool> stop{false};
    const auto w = HisWiring::from(his_config(), &stop);
    ASSERT_TRUE(w);
    const his::TransportOptions sync = w->transport(Purpose::Sync);
    const his::TransportOptions lookup = w->transport(Purpose::Lookup);
    for (const auto* t : {&sync, &lookup}) {
        EXPECT_EQ(t->ca_bundle, "/etc/kiosk/his-ca.pem");
        EXPECT_EQ(t->stop, &stop);
        EXPECT_EQ(t->user_agent.rfind("kiosk/", 0), 0u) << t->user_agent;
        EXPECT_NE(t->user_agent.find(" (BVDK-QN/SANH-A-01)"), std::string::npos) << t->user_agent;
    }
    // A patient waits for the lookup: it owns its total wait ([his] lookup_timeout_seconds).
    EXPECT_EQ(lookup.total_timeout, std::chrono::seconds(2));
    EXPECT_EQ(lookup.connect_timeout, std::chrono::seconds(2));
    EXPECT_EQ(w->lookup_deadline(), std::chrono::seconds(2));
    EXPECT_EQ(sync.total_timeout, his::TransportOptions{}.total_timeout);
    EXPECT_EQ(sync.connect_timeout, his::TransportOptions{}.connect_timeout);

    SiteConfig slow = his_config();
    slow.his.lookup_timeout_seconds = 10;
    const auto patient = HisWiring::from(slow, &stop)->transport(Purpose::Lookup);
    EXPECT_EQ(patient.connect_timeout, std::chrono::seconds(3)) << "an unreachable HIS is known in 3 s";
    EXPECT_EQ(patient.total_timeout, std::chrono::seconds(10));

    const sync::HisConnection conn = w->sync_connection();
    EXPECT_EQ(conn.base_url, "https://his.example.vn/fhir");
    EXPECT_EQ(conn.identifier_base, "https://bvdk-qn.vn/fhir/sid/");
    EXPECT_EQ(conn.transport.user_agent, sync.user_agent);
    EXPECT_FALSE(conn.oauth2.has_value());
}

TEST(HisWiring, TheSyncSettingsReachTheSyncsConnection) {
    SiteConfig c = his_config();
    c.sync.batch_size = 7;
    c.sync.retry_first_seconds = 3;
    c.sync.retry_max_seconds = 90;
    c.sync.reference_download_minutes = 11;
    const sync::HisConnection conn = HisWiring::from(c, nullptr)->sync_connection();
    EXPECT_EQ(conn.sync.batch_size, 7);
    EXPECT_EQ(conn.sync.backoff_base, std::chrono::seconds(3));
    EXPECT_EQ(conn.sync.backoff_max, std::chrono::seconds(90));
    EXPECT_EQ(conn.download_every, std::chrono::minutes(11));
}

TEST(HisWiring, TheClientSecretIsReadOnceForTheSyncAndTheLookup) {
    TempDir dir;
    SiteConfig c = his_config();
    c.his.token_url = "https://his.example.vn/auth/token";
    c.his.client_id = "kiosk-a-01";
    c.his.client_secret_file = write_secret(dir, "s3cret\n");
    const auto w = HisWiring::from(c, nullptr);
    ASSERT_TRUE(w);
    std::filesystem::remove(c.his.client_secret_file); // read at start-up, not again
    const sync::HisConnection conn = w->sync_connection();
    ASSERT_TRUE(conn.oauth2.has_value());
    EXPECT_EQ(conn.oauth2->token_url, "https://his.example.vn/auth/token");
    EXPECT_EQ(conn.oauth2->client_id, "kiosk-a-01");
    EXPECT_EQ(conn.oauth2->client_secret, "s3cret") << "without its trailing newline";

    // The lookup's chain is built from the same settings (curl, observed, OAuth2, PatientLookup).
    auto db = store::Database::open(dir.path() / "kiosk.db");
    core::ManualClock clock(0);
    const auto lookup = w->make_lookup(db, clock, [](his::Exchange) {});
    ASSERT_NE(lookup, nullptr);
}

TEST(HisWiring, ASecretOtherUsersCanReadStopsTheStart) {
    TempDir dir;
    SiteConfig c = his_config();
    c.his.token_url = "https://his.example.vn/auth/token";
    c.his.client_secret_file =
        write_secret(dir, "s3cret", std::filesystem::perms::owner_all | std::filesystem::perms::group_read);
    try {
        (void)HisWiring::from(c, nullptr);
        FAIL() << "accepted a group-readable secret";
    } catch (const StartupError& e) {
        EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
    }
}

TEST(HisWiring, AnEmptyOrMissingSecretStopsTheStart) {
    TempDir dir;
    SiteConfig c = his_config();
    c.his.token_url = "https://his.example.vn/auth/token";
    c.his.client_secret_file = write_secret(dir, "\n");
    EXPECT_THROW((void)HisWiring::from(c, nullptr), StartupError);
    c.his.client_secret_file = dir.path() / "missing";
    EXPECT_THROW((void)HisWiring::from(c, nullptr), StartupError);
}

TEST(HisWiring, IdentifierSystemsComeFromTheConfig) {
    SiteConfig c = his_config();
    c.his.cccd_system = "urn:example:cccd";
    c.his.bhyt_system = "urn:example:bhyt";
    const store::IdentifierSystems s = identifier_systems(c);
    EXPECT_EQ(s.cccd, "urn:example:cccd");
    EXPECT_EQ(s.bhyt, "urn:example:bhyt");
}

} // namespace
