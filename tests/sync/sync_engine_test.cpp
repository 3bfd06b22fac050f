// The sync engine over a real SQLite file and a scripted HIS that behaves like a FHIR server doing
// conditional creates: it stores each identifier once, and can be down or lose its replies.
#include "kiosk/his/curl_transport.hpp"
#include "kiosk/his/fhir_his.hpp"
#include "kiosk/store/ticket_store.hpp"
#include "kiosk/sync/sync_engine.hpp"

#include "his/fault_server.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

using namespace kiosk;

namespace {

constexpr core::UnixMillis kStart = 1795480200000; // 2026-11-24 07:30 +07:00

class ScriptedHis final : public his::HisPort {
public:
    enum class Mode { Up, Down, LoseReplies, Reject, Status };
    Mode mode = Mode::Up;
    long status = 0; // Mode::Status: every record is answered with this HTTP status (401, 503, ...)
    std::map<std::string, int> stored;  // identifier -> 1 once stored (conditional create keeps it single)
    std::set<std::string> acknowledged; // identifiers whose success reply reached the kiosk
    int resent_after_ack = 0;           // the kiosk must never send these again
    int requests = 0;
    std::mt19937 rng{7};
    double lose_probability = 0.0; // with Mode::Up, lose this share of replies after storing

    std::vector<his::DeliveryResult> deliver(const std::vector<core::OutboundRecord>& entries) override {
        ++requests;
        std::vector<his::DeliveryResult> out;
        for (const auto& e : entries) {
            if (acknowledged.count(e.identifier)) ++resent_after_ack;
            if (mode == Mode::Down) {
                out.push_back({his::Delivery::RetryLater, "Connection refused", std::nullopt, true});
                continue;
            }
            if (mode == Mode::Status) {
                out.push_back({his::Delivery::RetryLater, "HTTP " + std::to_string(status), std::nullopt,
                               false, status});
                continue;
            }
            if (mode == Mode::Reject) {
                out.push_back({his::Delivery::Rejected, "Encounter.class is required", std::nullopt, false});
                continue;
            }
            const bool existed = stored.count(e.identifier) > 0;
            if (!existed) stored[e.identifier] = 1; // conditional create: never a second copy
            const bool lost = mode == Mode::LoseReplies ||
                              std::uniform_real_distribution<double>(0, 1)(rng) < lose_probability;
            if (lost)
                out.push_back({his::Delivery::RetryLater, "Operation timed out", std::nullopt, true});
            else {
                acknowledged.insert(e.identifier);
                out.push_back(
                    {existed ? his::Delivery::AlreadyExists : his::Delivery::Accepted, "", std::nullopt});
            }
        }
        return out;
    }
};

struct Kiosk {
    test::TempDir dir;
    store::Database db = store::Database::open(dir / "kiosk.db");
    store::TicketStore tickets{db};
    core::ManualClock clock{kStart};
    core::KioskIdentity identity{"BVDK-DEMO", "SANH-A-01", 'A', 420};
    std::vector<core::Service> services{{"KBH", "A", "Khám BHYT", "Insured"},
                                        {"XN", "C", "Xét nghiệm", "Lab"}};

    std::string issue(std::size_t i = 0) {
        return tickets.issue(identity, services[i % services.size()], clock.now()).reference;
    }
};

sync::SyncSettings fast() {
    return sync::SyncSettings{50, std::chrono::milliseconds(1000), std::chrono::milliseconds(60000)};
}

} // namespace

TEST(Backoff, GrowsExponentiallyWithJitterAndIsCapped) {
    std::mt19937_64 rng(1);
    const sync::SyncSettings s{50, std::chrono::milliseconds(2000), std::chrono::milliseconds(300000)};
    for (int attempt = 1; attempt <= 12; ++attempt) {
        const long long full = std::min<long long>(300000, 2000LL << (attempt - 1));
        for (int k = 0; k < 50; ++k) {
            const auto d = sync::backoff_delay(s, attempt, rng).count();
            EXPECT_GE(d, full - full / 2);
            EXPECT_LE(d, full);
        }
    }
}

TEST(SyncEngine, DeliversEverythingWhenTheHisIsUp) {
    Kiosk k;
    ScriptedHis his;
    for (int i = 0; i < 120; ++i)
        k.issue(static_cast<std::size_t>(i));
    sync::SyncEngine engine(k.db, his, k.clock, fast(), 1);
    const auto st = engine.run_once();
    EXPECT_TRUE(st.online);
    EXPECT_EQ(st.waiting, 0);
    EXPECT_EQ(st.delivered_total, 120);
    EXPECT_EQ(his.stored.size(), 120u);
    EXPECT_EQ(his.requests, 3); // batches of 50
    EXPECT_FALSE(engine.next_due_at());
}

TEST(SyncEngine, OfflineKeepsEverythingAndBacksOff) {
    Kiosk k;
    ScriptedHis his;
    his.mode = ScriptedHis::Mode::Down;
    for (int i = 0; i < 10; ++i)
        k.issue();
    sync::SyncEngine engine(k.db, his, k.clock, fast(), 1);
    auto st = engine.run_once();
    EXPECT_FALSE(st.online);
    EXPECT_EQ(st.offline_since, std::optional<core::UnixMillis>(kStart));
    EXPECT_EQ(st.waiting, 10);
    EXPECT_NE(st.last_error.find("refused"), std::string::npos);
    ASSERT_TRUE(engine.next_due_at());
    EXPECT_GT(*engine.next_due_at(), k.clock.now());
    // Nothing is due before the backoff ends: no new request.
    const int before = his.requests;
    engine.run_once();
    EXPECT_EQ(his.requests, before);
    // The outage is remembered across a restart.
    sync::SyncEngine restarted(k.db, his, k.clock, fast(), 2);
    EXPECT_EQ(restarted.status().offline_since, std::optional<core::UnixMillis>(kStart));
}

TEST(SyncEngine, ComesBackOnlineAndDrains) {
    Kiosk k;
    ScriptedHis his;
    his.mode = ScriptedHis::Mode::Down;
    for (int i = 0; i < 10; ++i)
        k.issue();
    sync::SyncEngine engine(k.db, his, k.clock, fast(), 1);
    engine.run_once();
    his.mode = ScriptedHis::Mode::Up;
    k.clock.advance(60'000); // past the longest (jittered) backoff of fast()
    const auto st = engine.run_once();
    EXPECT_TRUE(st.online);
    EXPECT_FALSE(st.offline_since);
    EXPECT_EQ(st.waiting, 0);
    EXPECT_EQ(his.stored.size(), 10u);
}

TEST(SyncEngine, LostRepliesNeverDuplicate) {
    Kiosk k;
    ScriptedHis his;
    his.mode = ScriptedHis::Mode::LoseReplies; // the HIS stores, but the kiosk never hears back
    std::vector<std::string> refs;
    for (int i = 0; i < 5; ++i)
        refs.push_back(k.issue());
    sync::SyncEngine engine(k.db, his, k.clock, fast(), 1);
    engine.run_once();
    EXPECT_EQ(engine.status().waiting, 5);
    his.mode = ScriptedHis::Mode::Up;
    k.clock.advance(60'000); // past the longest (jittered) backoff of fast()
    EXPECT_EQ(engine.run_once().waiting, 0);
    for (const auto& r : refs)
        EXPECT_EQ(his.stored.count(r), 1u) << r;
    EXPECT_EQ(his.resent_after_ack, 0);
}

TEST(SyncEngine, RejectedRecordsAreQuarantinedNotDroppedAndDoNotBlockOthers) {
    Kiosk k;
    ScriptedHis his;
    his.mode = ScriptedHis::Mode::Reject;
    k.issue();
    sync::SyncEngine engine(k.db, his, k.clock, fast(), 1);
    auto st = engine.run_once();
    EXPECT_EQ(st.waiting, 0);
    EXPECT_EQ(st.quarantined, 1);
    store::Outbox outbox(k.db);
    const auto dead = outbox.dead_letters(10);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_NE(dead[0].reason.find("Encounter.class is required"), std::string::npos);
    his.mode = ScriptedHis::Mode::Up;
    k.issue();
    st = engine.run_once();
    EXPECT_EQ(st.waiting, 0);
    EXPECT_EQ(his.stored.size(), 1u);
}

// 72 hours of a busy lobby with the HIS down, then back with a flaky network: every ticket reaches the
// HIS exactly once.
TEST(SyncEngine, SeventyTwoHoursOfflineThenEverythingExactlyOnce) {
    Kiosk k;
    ScriptedHis his;
    his.mode = ScriptedHis::Mode::Down;
    sync::SyncEngine engine(
        k.db, his, k.clock,
        sync::SyncSettings{100, std::chrono::milliseconds(2000), std::chrono::milliseconds(300000)}, 42);
    std::vector<std::string> refs;
    std::mt19937 rng(3);
    const core::UnixMillis end = kStart + 72LL * 3600 * 1000;
    std::size_t n = 0;
    while (k.clock.now() < end) {
        // Opening hours 07:00-17:00 local: a ticket every 30-120 s; the worker tries whenever due.
        const auto hour = (k.clock.now() / 3600000 + 7) % 24;
        if (hour >= 7 && hour < 17) refs.push_back(k.issue(n++));
        k.clock.advance(std::uniform_int_distribution<int>(30, 120)(rng) * 1000);
        if (auto due = engine.next_due_at(); due && *due <= k.clock.now()) engine.run_once();
    }
    ASSERT_GT(refs.size(), 1000u);
    EXPECT_EQ(engine.status().waiting, static_cast<std::int64_t>(refs.size()));
    EXPECT_FALSE(engine.status().online);

    his.mode = ScriptedHis::Mode::Up;
    his.lose_probability = 0.2; // a flaky network: one reply in five is lost after the HIS stored it
    for (int round = 0; round < 200 && engine.status().waiting > 0; ++round) {
        k.clock.advance(300'000); // the longest backoff: every record is due again
        engine.run_once();
    }
    EXPECT_EQ(engine.status().waiting, 0);
    ASSERT_EQ(his.stored.size(), refs.size());
    for (const auto& r : refs)
        ASSERT_EQ(his.stored.count(r), 1u) << r;
    EXPECT_EQ(his.resent_after_ack, 0); // nothing acknowledged was ever sent again
}

// --- what the indicator says (issue 8, C and 6) ----------------------------------------------------------

TEST(SyncStatus, RestartedWithNothingToSendIsConnectedOnTheFirstAnswer) {
    Kiosk k;
    ScriptedHis his;
    sync::SyncEngine engine(k.db, his, k.clock, fast(), 1);
    auto st = engine.run_once(); // nothing to send: no exchange at all
    EXPECT_EQ(his.requests, 0);
    EXPECT_EQ(st.link, sync::HisLink::Unknown) << "not 'offline' with no time: nothing is known yet";
    EXPECT_FALSE(st.offline_since);
    // A lookup, a reference download page or a token fetch gets an answer: the HIS is reachable.
    engine.observe(his::Exchange::Answered);
    st = engine.status();
    EXPECT_TRUE(st.online);
    EXPECT_EQ(st.link, sync::HisLink::Connected);
    EXPECT_FALSE(st.offline_since);
}

TEST(SyncStatus, AnyAnswerEndsARememberedOutageAndAnyUnansweredExchangeStartsOne) {
    Kiosk k;
    ScriptedHis his;
    his.mode = ScriptedHis::Mode::Down;
    k.issue();
    {
        sync::SyncEngine engine(k.db, his, k.clock, fast(), 1);
        EXPECT_EQ(engine.run_once().link, sync::HisLink::Offline);
    }
    his.mode = ScriptedHis::Mode::Up;
    k.clock.advance(5'000); // no delivery below: only the other exchanges tell
    sync::SyncEngine restarted(k.db, his, k.clock, fast(), 2);
    EXPECT_EQ(restarted.status().link, sync::HisLink::Offline);
    EXPECT_EQ(restarted.status().offline_since, std::optional<core::UnixMillis>(kStart));
    restarted.observe(his::Exchange::Answered); // e.g. a reference download page
    EXPECT_EQ(restarted.status().link, sync::HisLink::Sending);
    EXPECT_FALSE(restarted.status().offline_since);
    {
        sync::SyncEngine again(k.db, his, k.clock, fast(), 3);
        EXPECT_FALSE(again.status().offline_since) << "the end of the outage is remembered too";
    }
    k.clock.advance(60'000);
    restarted.observe(his::Exchange::Unreachable); // e.g. a lookup that got no answer
    EXPECT_EQ(restarted.status().link, sync::HisLink::Offline);
    EXPECT_EQ(restarted.status().offline_since, std::optional<core::UnixMillis>(kStart + 65'000));
    restarted.observe(his::Exchange::Stopping); // the kiosk stopping says nothing about the HIS
    EXPECT_EQ(restarted.status().offline_since, std::optional<core::UnixMillis>(kStart + 65'000));
}

TEST(SyncStatus, RefusedCredentialsAndServerErrorsAreToldApartFromSending) {
    Kiosk k;
    ScriptedHis his;
    for (int i = 0; i < 7; ++i)
        k.issue();
    sync::SyncEngine engine(k.db, his, k.clock, fast(), 1);
    his.mode = ScriptedHis::Mode::Status;
    for (const long status : {401L, 403L}) {
        his.status = status;
        const auto st = engine.run_once();
        EXPECT_EQ(st.link, sync::HisLink::CredentialsRefused) << status;
        EXPECT_TRUE(st.online) << "a refusal is an answer";
        EXPECT_EQ(st.waiting, 7);
        // A patient lookup that works does not hide that the records are refused.
        engine.observe(his::Exchange::Answered);
        EXPECT_EQ(engine.status().link, sync::HisLink::CredentialsRefused) << status;
        k.clock.advance(120'000);
    }
    for (const long status : {500L, 503L, 429L}) {
        his.status = status;
        EXPECT_EQ(engine.run_once().link, sync::HisLink::ServerError) << status;
        k.clock.advance(120'000);
    }
    his.mode = ScriptedHis::Mode::Up;
    const auto st = engine.run_once();
    EXPECT_EQ(st.waiting, 0);
    EXPECT_EQ(st.link, sync::HisLink::Connected);
}

TEST(SyncStatus, RefusalsOfOtherExchangesShowUntilOneIsAnswered) {
    Kiosk k;
    ScriptedHis his;
    sync::SyncEngine engine(k.db, his, k.clock, fast(), 1);
    engine.observe(his::Exchange::CredentialsRefused); // e.g. the token endpoint refuses the kiosk
    EXPECT_EQ(engine.status().link, sync::HisLink::CredentialsRefused);
    engine.observe(his::Exchange::ServerError);
    EXPECT_EQ(engine.status().link, sync::HisLink::ServerError);
    engine.observe(his::Exchange::Answered);
    EXPECT_EQ(engine.status().link, sync::HisLink::Connected);
}

TEST(SyncStatus, EveryExchangeIsCountedByKind) {
    Kiosk k;
    ScriptedHis his;
    sync::SyncEngine engine(k.db, his, k.clock, fast(), 1);
    for (const auto e : {his::Exchange::Answered, his::Exchange::Answered, his::Exchange::Unreachable,
                         his::Exchange::CredentialsRefused, his::Exchange::ServerError,
                         his::Exchange::ServerError, his::Exchange::ServerError, his::Exchange::Stopping})
        engine.observe(e);
    const auto c = engine.status().exchanges;
    EXPECT_EQ(c.answered, 2);
    EXPECT_EQ(c.unreachable, 1);
    EXPECT_EQ(c.credentials_refused, 1);
    EXPECT_EQ(c.server_error, 3);
}

// --- a batch cut short by the kiosk stopping (issue 8, 13)
// --------------------------------------------------

// An outbox row this build cannot read back (its payload is not the record it names) never reaches the HIS:
// it is quarantined with the reason, and the rows behind it go on.
TEST(SyncEngine, UnreadableRowIsQuarantinedUnsent) {
    Kiosk k;
    const std::string broken = k.issue(0);
    const std::string fine = k.issue(1);
    k.db.exec("UPDATE outbox SET payload = '[]' WHERE identifier = '" + broken + "'");
    ScriptedHis his;
    sync::SyncEngine engine(k.db, his, k.clock, fast(), 1);
    const auto st = engine.run_once();
    EXPECT_EQ(his.stored.count(broken), 0u);
    EXPECT_EQ(his.stored.count(fine), 1u);
    EXPECT_EQ(st.waiting, 0);
    EXPECT_EQ(st.quarantined, 1);
    const auto dead = store::Outbox(k.db).dead_letters(10);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].identifier, broken);
    EXPECT_NE(dead[0].reason.find("not a JSON object"), std::string::npos) << dead[0].reason;
}

namespace {
// A HIS whose every request is in flight when the kiosk stops: the transfer is aborted.
class StoppedMidRequest final : public his::HisPort {
public:
    explicit StoppedMidRequest(std::atomic<bool>& stop) : stop_(stop) {}
    std::vector<his::DeliveryResult> deliver(const std::vector<core::OutboundRecord>& entries) override {
        stop_ = true;
        return std::vector<his::DeliveryResult>(
            entries.size(), his::DeliveryResult{his::Delivery::RetryLater, "aborted", std::nullopt, true});
    }

private:
    std::atomic<bool>& stop_;
};
} // namespace

TEST(SyncEngine, BatchCutShortByTheStopFlagIsNeitherAnAttemptNorAnOutage) {
    Kiosk k;
    k.issue();
    std::atomic<bool> stop{false};
    StoppedMidRequest his(stop);
    sync::SyncSettings s = fast();
    s.stop = &stop;
    sync::SyncEngine engine(k.db, his, k.clock, s, 1);
    const auto st = engine.run_once();
    EXPECT_FALSE(st.offline_since);
    EXPECT_EQ(st.waiting, 1);
    ASSERT_TRUE(engine.next_due_at());
    EXPECT_LE(*engine.next_due_at(), k.clock.now()) << "no backoff: it goes again at the next start";
    sync::SyncEngine restarted(k.db, his, k.clock, fast(), 2);
    EXPECT_FALSE(restarted.status().offline_since);
}

// --- through a real HTTP server and libcurl ---------------------------------------------------------------

TEST(SyncStatusFault, A401ThenA503ThenAcceptedAreToldApartAndCounted) {
    std::atomic<int> status{401};
    test::HttpTestServer server;
    server.server().Post(
        R"(/fhir/R4/(\w+))", server.record([&](const httplib::Request& req, httplib::Response& res) {
            res.status = status.load();
            if (res.status == 201) {
                auto resource = nlohmann::json::parse(req.body);
                resource["id"] = "enc-1";
                res.set_content(resource.dump(), "application/fhir+json");
            } else {
                res.set_content(R"({"resourceType":"OperationOutcome","issue":[{"severity":"error",)"
                                R"("code":"security","diagnostics":"no"}]})",
                                "application/fhir+json");
            }
        }));
    server.start();

    Kiosk k;
    k.issue();
    his::TransportOptions o;
    o.connect_timeout = std::chrono::seconds(5);
    o.total_timeout = std::chrono::seconds(20);
    his::CurlTransport curl(o);
    sync::SyncEngine* engine_ptr = nullptr;
    his::ObservedTransport observed(curl, [&](his::Exchange e) {
        if (engine_ptr) engine_ptr->observe(e);
    });
    his::FhirHis fhir(observed, server.url("/fhir/R4"), "https://bvdk-test.vn/fhir/sid/");
    sync::SyncEngine engine(k.db, fhir, k.clock, fast(), 1);
    engine_ptr = &engine;

    auto st = engine.run_once();
    EXPECT_EQ(st.link, sync::HisLink::CredentialsRefused) << st.last_error;
    EXPECT_EQ(st.exchanges.credentials_refused, 1);
    EXPECT_EQ(st.waiting, 1);

    status = 503;
    k.clock.advance(120'000);
    st = engine.run_once();
    EXPECT_EQ(st.link, sync::HisLink::ServerError) << st.last_error;
    EXPECT_EQ(st.exchanges.server_error, 1);

    status = 201;
    k.clock.advance(120'000);
    st = engine.run_once();
    EXPECT_EQ(st.waiting, 0) << st.last_error;
    EXPECT_EQ(st.link, sync::HisLink::Connected);
    EXPECT_EQ(st.exchanges.answered, 1);
    EXPECT_EQ(server.received().size(), 3u);

    // Then the HIS goes away: the next exchange makes it offline since then.
    server.stop();
    k.clock.advance(1000);
    k.issue();
    st = engine.run_once();
    EXPECT_EQ(st.link, sync::HisLink::Offline);
    EXPECT_EQ(st.offline_since, std::optional<core::UnixMillis>(k.clock.now()));
    EXPECT_EQ(st.exchanges.unreachable, 1);
}
