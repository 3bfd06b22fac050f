// The sync path for real: SQLite outbox -> SyncEngine -> FhirHis -> libcurl -> a real FHIR R4 server on
// 127.0.0.1 (code nobody here wrote), plus a proxy in front of it that loses replies.
#include "kiosk/his/curl_transport.hpp"
#include "kiosk/his/fhir_his.hpp"
#include "kiosk/his/fhir_mapping.hpp"
#include "kiosk/his/sync_engine.hpp"
#include "kiosk/store/ticket_store.hpp"

#include "fault_server.hpp"
#include "fhir_server.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <memory>

using namespace kiosk;

namespace {

test::FhirServer* g_server = nullptr;

class FhirServerEnvironment : public ::testing::Environment {
public:
    void SetUp() override { server_ = std::make_unique<test::FhirServer>(), g_server = server_.get(); }
    void TearDown() override { server_.reset(), g_server = nullptr; }

private:
    std::unique_ptr<test::FhirServer> server_;
};

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new FhirServerEnvironment);

constexpr core::UnixMillis kStart = 1795480200000;

his::TransportOptions options(std::chrono::milliseconds total = std::chrono::milliseconds(10000)) {
    his::TransportOptions o;
    o.connect_timeout = std::chrono::milliseconds(2000);
    o.total_timeout = total;
    o.user_agent = "kiosk-test";
    return o;
}

// Each test its own site id, so tests sharing the server never see each other's records.
struct Kiosk {
    explicit Kiosk(const std::string& site) : identity{site, "K1", 'A', 420} {}
    test::TempDir dir;
    store::Database db = store::Database::open(dir / "kiosk.db");
    store::TicketStore tickets{db};
    core::ManualClock clock{kStart};
    core::KioskIdentity identity;
    core::Service service{"KBH", "A", "Khám BHYT", "Insured"};
    std::string issue() { return tickets.issue(identity, service, clock.now()).reference; }
};

// identifier value -> how many Encounters the server holds with it, for one site (follows paging).
std::map<std::string, int> encounters_on_server(const std::string& site) {
    his::CurlTransport t(options());
    std::map<std::string, int> out;
    std::string url = g_server->base() + "/Encounter?identifier=" +
                      his::url_encode(his::identifier_system(site, "ticket") + "|") + "&_count=500";
    for (int page = 0; page < 100 && !url.empty(); ++page) {
        const auto r = t.send(his::HttpRequest{"GET", url, {{"Accept", "application/fhir+json"}}, ""});
        if (!r.ok())
            throw std::runtime_error("search failed: HTTP " + std::to_string(r.status) + " " + r.body);
        const auto bundle = nlohmann::json::parse(r.body);
        for (const auto& e : bundle.value("entry", nlohmann::json::array()))
            for (const auto& id : e["resource"]["identifier"])
                if (id["system"] == his::identifier_system(site, "ticket"))
                    ++out[id["value"].get<std::string>()];
        url.clear();
        for (const auto& link : bundle.value("link", nlohmann::json::array()))
            if (link.value("relation", "") == "next") url = link.value("url", "");
    }
    return out;
}

} // namespace

TEST(FhirIntegration, ConditionalCreateNeverDuplicates) {
    Kiosk k("IT-COND");
    k.issue();
    store::Outbox outbox(k.db);
    const auto entry = outbox.peek(1);
    his::CurlTransport t(options());
    his::FhirHis fhir(t, g_server->base());
    EXPECT_EQ(fhir.deliver(entry)[0].outcome, his::Delivery::Accepted);
    EXPECT_EQ(fhir.deliver(entry)[0].outcome, his::Delivery::AlreadyExists);
    EXPECT_EQ(fhir.deliver({entry[0], entry[0]})[1].outcome, his::Delivery::AlreadyExists); // in a batch too
    const auto held = encounters_on_server("IT-COND");
    ASSERT_EQ(held.size(), 1u);
    EXPECT_EQ(held.begin()->second, 1);
}

TEST(FhirIntegration, EngineDrainsTheOutboxInBatches) {
    Kiosk k("IT-DRAIN");
    std::vector<std::string> refs;
    for (int i = 0; i < 130; ++i)
        refs.push_back(k.issue());
    his::CurlTransport t(options());
    his::FhirHis fhir(t, g_server->base());
    his::SyncEngine engine(
        k.db, fhir, k.clock,
        his::SyncSettings{50, std::chrono::milliseconds(1000), std::chrono::milliseconds(60000)}, 1);
    const auto st = engine.run_once();
    EXPECT_TRUE(st.online) << st.last_error;
    EXPECT_EQ(st.waiting, 0) << st.last_error;
    const auto held = encounters_on_server("IT-DRAIN");
    EXPECT_EQ(held.size(), refs.size());
    for (const auto& r : refs)
        EXPECT_EQ(held.count(r) ? held.at(r) : 0, 1) << r;
}

// A proxy that forwards every request to the FHIR server but, for the first `lose` requests, answers only
// after the kiosk has given up: the server stored the records, the kiosk never heard. The retry must find
// them (conditional create) instead of creating copies.
TEST(FhirIntegration, RepliesLostAfterTheServerStoredDoNotDuplicate) {
    std::atomic<int> lose{2};
    const std::string upstream = g_server->base();
    const auto scheme_end = upstream.find("://") + 3;
    const auto path_at = upstream.find('/', scheme_end);
    const std::string host_port = upstream.substr(scheme_end, path_at - scheme_end);
    httplib::Server proxy;
    proxy.Post(".*", [&](const httplib::Request& req, httplib::Response& res) {
        httplib::Client up("http://" + host_port);
        httplib::Headers h;
        for (const auto& [k, v] : req.headers)
            if (k == "Content-Type" || k == "If-None-Exist" || k == "Accept") h.emplace(k, v);
        auto r = up.Post(req.path, h, req.body, req.get_header_value("Content-Type"));
        if (lose.fetch_sub(1) > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        if (!r) {
            res.status = 502;
            return;
        }
        res.status = r->status;
        res.set_content(r->body, r->get_header_value("Content-Type"));
    });
    const int port = proxy.bind_to_any_port("127.0.0.1");
    std::thread serving([&] { proxy.listen_after_bind(); });
    while (!proxy.is_running())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));

    Kiosk k("IT-LOST");
    std::vector<std::string> refs;
    for (int i = 0; i < 12; ++i)
        refs.push_back(k.issue());
    his::CurlTransport t(options(std::chrono::milliseconds(700))); // gives up before the proxy answers
    his::FhirHis fhir(t, "http://127.0.0.1:" + std::to_string(port) + upstream.substr(path_at));
    his::SyncEngine engine(
        k.db, fhir, k.clock,
        his::SyncSettings{5, std::chrono::milliseconds(1000), std::chrono::milliseconds(60000)}, 3);
    for (int round = 0; round < 20 && engine.run_once().waiting > 0; ++round)
        if (auto due = engine.next_due_at()) k.clock.set(std::max(k.clock.now(), *due));
    proxy.stop();
    serving.join();

    EXPECT_EQ(engine.status().waiting, 0) << engine.status().last_error;
    const auto held = encounters_on_server("IT-LOST");
    EXPECT_EQ(held.size(), refs.size());
    for (const auto& r : refs)
        EXPECT_EQ(held.count(r) ? held.at(r) : 0, 1) << r;
}

// A simulated 72 h with the HIS unreachable, then the HIS comes back. (The thousands-of-records version of
// this runs against a scripted HIS in sync_engine_test.cpp: this test server's in-memory search is linear,
// so a conditional create costs more the more it holds, and hundreds keep the suite quick.)
TEST(FhirIntegration, SeventyTwoHoursOfflineThenExactlyOnce) {
    Kiosk k("IT-72H");
    const int dead_port = test::unused_port();
    his::CurlTransport t(options(std::chrono::milliseconds(60000)));
    his::FhirHis down(t, "http://127.0.0.1:" + std::to_string(dead_port) + "/fhir/R4");
    his::FhirHis up(t, g_server->base());
    struct Switch final : his::HisPort {
        his::HisPort* target = nullptr;
        std::vector<his::DeliveryResult> deliver(const std::vector<store::OutboxEntry>& e) override {
            return target->deliver(e);
        }
    } his_link;
    his_link.target = &down;
    his::SyncEngine engine(
        k.db, his_link, k.clock,
        his::SyncSettings{25, std::chrono::milliseconds(2000), std::chrono::milliseconds(300000)}, 5);
    std::vector<std::string> refs;
    const core::UnixMillis end = kStart + 72LL * 3600 * 1000;
    while (k.clock.now() < end) {
        const auto hour = (k.clock.now() / 3600000 + 7) % 24;
        if (hour >= 7 && hour < 17) refs.push_back(k.issue());
        k.clock.advance(450'000); // a ticket every 7.5 min during opening hours
        if (auto due = engine.next_due_at(); due && *due <= k.clock.now()) engine.run_once();
    }
    ASSERT_GT(refs.size(), 200u);
    EXPECT_FALSE(engine.status().online);
    EXPECT_EQ(engine.status().waiting, static_cast<std::int64_t>(refs.size()));

    his_link.target = &up;
    for (int round = 0; round < 20 && engine.status().waiting > 0; ++round) {
        k.clock.advance(300'000); // the longest backoff: every record is due again
        engine.run_once();
    }
    EXPECT_EQ(engine.status().waiting, 0) << engine.status().last_error;
    EXPECT_TRUE(engine.status().online);
    const auto held = encounters_on_server("IT-72H");
    ASSERT_EQ(held.size(), refs.size());
    for (const auto& r : refs)
        ASSERT_EQ(held.at(r), 1) << r;
}
