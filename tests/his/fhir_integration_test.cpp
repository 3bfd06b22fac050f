// The sync path for real: SQLite outbox -> SyncEngine -> FhirHis -> libcurl -> a real FHIR R4 server on
// 127.0.0.1 (code nobody here wrote), plus a proxy in front of it that loses replies.
#include "kiosk/core/identifier_systems.hpp"
#include "kiosk/his/curl_transport.hpp"
#include "kiosk/his/fhir_his.hpp"
#include "kiosk/his/fhir_mapping.hpp"
#include "kiosk/store/patient_registry.hpp"
#include "kiosk/store/ticket_store.hpp"
#include "kiosk/sync/patient_lookup.hpp"
#include "kiosk/sync/sync_engine.hpp"

#include "fault_server.hpp"
#include "fhir_server.hpp"
#include "his/outbox_rows.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

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

// Each test its own site id and identifier namespace, so tests sharing the server never see each other's
// records.
std::string identifier_base_of(const std::string& site) {
    return "https://kiosk-it.test/" + site + "/fhir/sid/";
}

struct Kiosk {
    explicit Kiosk(const std::string& site)
        : identity{site, "K1", 'A', 420}, id_base(identifier_base_of(site)) {}
    test::TempDir dir;
    store::Database db = store::Database::open(dir / "kiosk.db");
    store::TicketStore tickets{db};
    store::PatientRegistry patients{db};
    core::ManualClock clock{kStart};
    core::KioskIdentity identity;
    std::string id_base; // [his] identifier_base
    core::Service service{"KBH", "A", "Khám BHYT", "Insured"};
    std::string issue() { return tickets.issue(identity, service, clock.now()).reference; }
    store::RegisteredPatient enrol(const core::PatientDetails& d) {
        return patients.register_patient(identity, d, store::IdentifierSystems{}, clock.now());
    }
};

// identifier value -> how many Encounters the server holds with it, for one site (follows paging).
std::map<std::string, int> encounters_on_server(const std::string& site) {
    his::CurlTransport t(options());
    std::map<std::string, int> out;
    std::string url = g_server->base() + "/Encounter?identifier=" +
                      his::url_encode(his::identifier_system(identifier_base_of(site), "ticket") + "|") +
                      "&_count=500";
    for (int page = 0; page < 100 && !url.empty(); ++page) {
        const auto r = t.send(his::HttpRequest{"GET", url, {{"Accept", "application/fhir+json"}}, ""});
        if (!r.ok())
            throw std::runtime_error("search failed: HTTP " + std::to_string(r.status) + " " + r.body);
        const auto bundle = nlohmann::json::parse(r.body);
        for (const auto& e : bundle.value("entry", nlohmann::json::array()))
            for (const auto& id : e["resource"]["identifier"])
                if (id["system"] == his::identifier_system(identifier_base_of(site), "ticket"))
                    ++out[id["value"].get<std::string>()];
        url.clear();
        for (const auto& link : bundle.value("link", nlohmann::json::array()))
            if (link.value("relation", "") == "next") url = link.value("url", "");
    }
    return out;
}

// A proxy in front of the FHIR server that forwards every POST but, for the first `lose` requests, answers
// only after 1.5 s, when a kiosk with a shorter timeout has given up: the server stored the records, the
// kiosk never heard.
class LossyProxy {
public:
    explicit LossyProxy(int lose) : lose_(lose) {
        const std::string upstream = g_server->base();
        const auto scheme_end = upstream.find("://") + 3;
        const auto path_at = upstream.find('/', scheme_end);
        host_port_ = upstream.substr(scheme_end, path_at - scheme_end);
        path_ = upstream.substr(path_at);
        proxy_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
            httplib::Client up("http://" + host_port_);
            httplib::Headers h;
            for (const auto& [k, v] : req.headers)
                if (k == "Content-Type" || k == "If-None-Exist" || k == "Accept") h.emplace(k, v);
            auto r = up.Post(req.path, h, req.body, req.get_header_value("Content-Type"));
            if (lose_.fetch_sub(1) > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
            if (!r) {
                res.status = 502;
                return;
            }
            res.status = r->status;
            res.set_content(r->body, r->get_header_value("Content-Type"));
        });
        port_ = proxy_.bind_to_any_port("127.0.0.1");
        serving_ = std::thread([this] { proxy_.listen_after_bind(); });
        while (!proxy_.is_running())
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ~LossyProxy() { stop(); }
    LossyProxy(const LossyProxy&) = delete;
    LossyProxy& operator=(const LossyProxy&) = delete;

    [[nodiscard]] std::string base() const { return "http://127.0.0.1:" + std::to_string(port_) + path_; }
    // Requests still to be answered too late.
    [[nodiscard]] int still_to_lose() const { return std::max(0, lose_.load()); }
    void stop() {
        if (!serving_.joinable()) return;
        proxy_.stop();
        serving_.join();
    }

private:
    std::atomic<int> lose_;
    std::string host_port_;
    std::string path_;
    httplib::Server proxy_;
    int port_ = 0;
    std::thread serving_;
};

// A number no other test of this process uses: a random start per process, then counting.
std::uint64_t next_number() {
    static std::atomic<std::uint64_t> n{std::random_device{}() % 800'000'000u};
    return ++n;
}
std::string new_cccd() {
    return "079" + std::to_string(100'000'000u + next_number()); // 12 digits
}
std::string new_bhyt() {
    return "DN479" + std::to_string(1'000'000'000u + next_number()); // 15 characters
}

// The resources the server's search `query` (e.g. "/Patient?identifier=...") finds.
std::vector<nlohmann::json> search_on_server(const std::string& query) {
    his::CurlTransport t(options());
    const auto r =
        t.send(his::HttpRequest{"GET", g_server->base() + query, {{"Accept", "application/fhir+json"}}, ""});
    if (!r.ok()) throw std::runtime_error("search failed: HTTP " + std::to_string(r.status) + " " + r.body);
    std::vector<nlohmann::json> out;
    for (const auto& e : nlohmann::json::parse(r.body).value("entry", nlohmann::json::array()))
        out.push_back(e.at("resource"));
    return out;
}

// The Patients the server holds with system|value.
std::vector<nlohmann::json> patients_on_server(const std::string& system, const std::string& value) {
    return search_on_server("/Patient?identifier=" + his::url_encode(his::identifier_token(system, value)) +
                            "&_count=100");
}

// The value of the Patient's identifier under `system` ("" if none).
std::string identifier_value(const nlohmann::json& patient, const std::string& system) {
    for (const auto& id : patient.value("identifier", nlohmann::json::array()))
        if (id.value("system", "") == system) return id.value("value", "");
    return "";
}

// POSTs a Patient as the hospital's desk would have registered it, without any kiosk identifier.
std::string seed_desk_patient(const std::string& system, const std::string& value) {
    const nlohmann::json patient = {
        {"resourceType", "Patient"},
        {"identifier", {{{"system", system}, {"value", value}}}},
        {"name", {{{"family", "Phạm"}, {"given", {"Thu", "Trang"}}, {"text", "Phạm Thu Trang"}}}},
        {"gender", "female"}};
    his::CurlTransport t(options());
    const auto r = t.send(
        his::HttpRequest{"POST",
                         g_server->base() + "/Patient",
                         {{"Content-Type", "application/fhir+json"}, {"Accept", "application/fhir+json"}},
                         patient.dump()});
    if (r.status != 201)
        throw std::runtime_error("seeding a Patient failed: HTTP " + std::to_string(r.status) + " " + r.body);
    return nlohmann::json::parse(r.body).at("id").get<std::string>();
}

core::PatientDetails patient_details(const std::string& cccd, const std::string& bhyt) {
    core::PatientDetails d;
    d.cccd = cccd;
    d.bhyt = bhyt;
    d.full_name = "Nguyễn Văn An";
    d.birth_date = core::LocalDate{1990, 4, 12};
    d.sex = core::Sex::Male;
    d.address = "12 Lê Lợi, Quy Nhơn, Bình Định";
    d.phone = "0912345678";
    return d;
}

sync::SyncEngine engine_for(Kiosk& k, his::HisPort& his) {
    return sync::SyncEngine(
        k.db, his, k.clock,
        sync::SyncSettings{25, std::chrono::milliseconds(1000), std::chrono::milliseconds(60000)}, 7);
}

} // namespace

TEST(FhirIntegration, ConditionalCreateNeverDuplicates) {
    Kiosk k("IT-COND");
    k.issue();
    store::Outbox outbox(k.db);
    const auto entry = outbox.peek(1);
    his::CurlTransport t(options());
    his::FhirHis fhir(t, g_server->base(), k.id_base);
    EXPECT_EQ(fhir.deliver(test::records(entry))[0].outcome, his::Delivery::Accepted);
    EXPECT_EQ(fhir.deliver(test::records(entry))[0].outcome, his::Delivery::AlreadyExists);
    EXPECT_EQ(fhir.deliver(test::records({entry[0], entry[0]}))[1].outcome,
              his::Delivery::AlreadyExists); // in a batch too
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
    his::FhirHis fhir(t, g_server->base(), k.id_base);
    sync::SyncEngine engine(
        k.db, fhir, k.clock,
        sync::SyncSettings{50, std::chrono::milliseconds(1000), std::chrono::milliseconds(60000)}, 1);
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
    LossyProxy proxy(2);
    Kiosk k("IT-LOST");
    std::vector<std::string> refs;
    for (int i = 0; i < 12; ++i)
        refs.push_back(k.issue());
    his::CurlTransport t(options(std::chrono::milliseconds(700))); // gives up before the proxy answers
    his::FhirHis fhir(t, proxy.base(), k.id_base);
    sync::SyncEngine engine(
        k.db, fhir, k.clock,
        sync::SyncSettings{5, std::chrono::milliseconds(1000), std::chrono::milliseconds(60000)}, 3);
    for (int round = 0; round < 20 && engine.run_once().waiting > 0; ++round)
        if (auto due = engine.next_due_at()) k.clock.set(std::max(k.clock.now(), *due));
    proxy.stop();

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
    his::FhirHis down(t, "http://127.0.0.1:" + std::to_string(dead_port) + "/fhir/R4", k.id_base);
    his::FhirHis up(t, g_server->base(), k.id_base);
    struct Switch final : his::HisPort {
        his::HisPort* target = nullptr;
        std::vector<his::DeliveryResult> deliver(const std::vector<core::OutboundRecord>& e) override {
            return target->deliver(e);
        }
    } his_link;
    his_link.target = &down;
    sync::SyncEngine engine(
        k.db, his_link, k.clock,
        sync::SyncSettings{25, std::chrono::milliseconds(2000), std::chrono::milliseconds(300000)}, 5);
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

// --- patients registered at the kiosk -------------------------------------------------------------------

TEST(FhirIntegration, RegisteredPatientReachesTheHisExactlyOnce) {
    Kiosk k("IT-PAT");
    const std::string cccd = new_cccd();
    const std::string bhyt = new_bhyt();
    const auto p = k.enrol(patient_details(cccd, bhyt));
    const std::string kiosk_system = his::identifier_system(k.id_base, "patient");
    const auto queued = store::Outbox(k.db).peek(10);
    ASSERT_EQ(queued.size(), 1u);

    his::CurlTransport t(options());
    his::FhirHis fhir(t, g_server->base(), k.id_base);
    auto engine = engine_for(k, fhir);
    const auto st = engine.run_once();
    EXPECT_TRUE(st.online) << st.last_error;
    EXPECT_EQ(st.waiting, 0) << st.last_error;
    EXPECT_EQ(st.quarantined, 0) << st.last_error;

    const auto held = patients_on_server(core::kDefaultCccdSystem, cccd);
    ASSERT_EQ(held.size(), 1u);
    const auto& patient = held[0];
    EXPECT_EQ(identifier_value(patient, kiosk_system), p.kiosk_patient_id);
    EXPECT_EQ(identifier_value(patient, core::kDefaultBhytSystem), bhyt);
    EXPECT_EQ(patient["name"][0]["text"], "Nguyễn Văn An");
    EXPECT_EQ(patient["name"][0]["family"], "Nguyễn");
    EXPECT_EQ(patient["name"][0]["given"], (nlohmann::json{"Văn", "An"}));
    EXPECT_EQ(patient["gender"], "male");
    EXPECT_EQ(patient["birthDate"], "1990-04-12");
    EXPECT_EQ(patient["telecom"][0]["value"], "0912345678");
    EXPECT_EQ(patient["address"][0]["country"], "VN");
    EXPECT_EQ(patients_on_server(kiosk_system, p.kiosk_patient_id).size(), 1u);
    EXPECT_EQ(patients_on_server(core::kDefaultBhytSystem, bhyt).size(), 1u);

    // Draining again finds nothing to send; the same row sent again (a retry whose first reply was lost,
    // alone or in a batch) is matched, not created.
    EXPECT_EQ(engine.run_once().waiting, 0);
    EXPECT_EQ(fhir.deliver(test::records(queued))[0].outcome, his::Delivery::AlreadyExists);
    const auto in_batch = fhir.deliver(test::records({queued[0], queued[0]}));
    EXPECT_EQ(in_batch[0].outcome, his::Delivery::AlreadyExists);
    EXPECT_EQ(in_batch[1].outcome, his::Delivery::AlreadyExists);
    EXPECT_EQ(patients_on_server(core::kDefaultCccdSystem, cccd).size(), 1u);

    // The kiosk's lookup finds the patient it registered.
    sync::PatientLookup lookup(t, g_server->base(), k.db, k.clock);
    const auto found = lookup.find(core::kDefaultCccdSystem, cccd);
    EXPECT_EQ(found.source, sync::Source::His) << found.message;
    ASSERT_EQ(found.patients.size(), 1u);
    EXPECT_EQ(found.patients[0].fhir_id, patient["id"]);
}

TEST(FhirIntegration, PatientRepliesLostAfterTheServerStoredDoNotDuplicate) {
    LossyProxy proxy(2);
    Kiosk k("IT-PAT-LOST");
    std::vector<std::pair<std::string, std::string>> registered; // (system, value) each is matched on
    for (int i = 0; i < 4; ++i) {
        const std::string cccd = i == 3 ? "" : new_cccd(); // the last one has only a BHYT card
        const std::string bhyt = new_bhyt();
        k.enrol(patient_details(cccd, bhyt));
        registered.emplace_back(cccd.empty() ? core::kDefaultBhytSystem : core::kDefaultCccdSystem,
                                cccd.empty() ? bhyt : cccd);
        k.clock.advance(60'000);
    }
    his::CurlTransport t(options(std::chrono::milliseconds(700))); // gives up before the proxy answers
    his::FhirHis fhir(t, proxy.base(), k.id_base);
    sync::SyncEngine engine(
        k.db, fhir, k.clock,
        sync::SyncSettings{1, std::chrono::milliseconds(1000), std::chrono::milliseconds(60000)}, 3);
    for (int round = 0; round < 20 && engine.run_once().waiting > 0; ++round)
        if (auto due = engine.next_due_at()) k.clock.set(std::max(k.clock.now(), *due));
    proxy.stop();

    EXPECT_EQ(proxy.still_to_lose(), 0) << "the proxy lost no reply: the test proves nothing";
    EXPECT_EQ(engine.status().waiting, 0) << engine.status().last_error;
    EXPECT_EQ(engine.status().quarantined, 0) << engine.status().last_error;
    for (const auto& [system, value] : registered)
        EXPECT_EQ(patients_on_server(system, value).size(), 1u) << value;
}

TEST(FhirIntegration, PatientTheHisAlreadyHasIsMatchedNotDuplicated) {
    Kiosk k("IT-PAT-KNOWN");
    const std::string cccd = new_cccd();
    const std::string bhyt_only = new_bhyt();
    const std::string desk_id = seed_desk_patient(core::kDefaultCccdSystem, cccd);
    const std::string desk_bhyt_id = seed_desk_patient(core::kDefaultBhytSystem, bhyt_only);
    const auto p = k.enrol(patient_details(cccd, new_bhyt()));
    k.clock.advance(60'000);
    const auto q = k.enrol(patient_details("", bhyt_only));

    his::CurlTransport t(options());
    his::FhirHis fhir(t, g_server->base(), k.id_base);
    store::Outbox outbox(k.db);
    const auto rows = outbox.peek(10);
    ASSERT_EQ(rows.size(), 2u);
    const auto first = fhir.deliver(test::records({rows[0]}));
    EXPECT_EQ(first[0].outcome, his::Delivery::AlreadyExists) << "HTTP 200: the conditional create matched";
    EXPECT_EQ(fhir.deliver(test::records({rows[1]}))[0].outcome, his::Delivery::AlreadyExists);

    auto engine = engine_for(k, fhir);
    EXPECT_EQ(engine.run_once().waiting, 0) << engine.status().last_error;
    EXPECT_EQ(engine.status().quarantined, 0) << engine.status().last_error;

    const auto by_cccd = patients_on_server(core::kDefaultCccdSystem, cccd);
    ASSERT_EQ(by_cccd.size(), 1u);
    EXPECT_EQ(by_cccd[0]["id"], desk_id);
    const auto by_bhyt = patients_on_server(core::kDefaultBhytSystem, bhyt_only);
    ASSERT_EQ(by_bhyt.size(), 1u);
    EXPECT_EQ(by_bhyt[0]["id"], desk_bhyt_id);
    const std::string kiosk_system = his::identifier_system(k.id_base, "patient");
    EXPECT_TRUE(patients_on_server(kiosk_system, p.kiosk_patient_id).empty()) << "no second Patient";
    EXPECT_TRUE(patients_on_server(kiosk_system, q.kiosk_patient_id).empty());

    sync::PatientLookup lookup(t, g_server->base(), k.db, k.clock);
    const auto found = lookup.find(core::kDefaultCccdSystem, cccd);
    EXPECT_EQ(found.source, sync::Source::His) << found.message;
    ASSERT_EQ(found.patients.size(), 1u);
    EXPECT_EQ(found.patients[0].fhir_id, desk_id);
}

TEST(FhirIntegration, PatientTheDeskKnewByTheBhytCardAloneIsMatchedByItsCardToo) {
    Kiosk k("IT-PAT-BHYT");
    const std::string bhyt = new_bhyt();
    const std::string desk_id = seed_desk_patient(core::kDefaultBhytSystem, bhyt);
    const std::string cccd = new_cccd(); // the desk never recorded it
    k.enrol(patient_details(cccd, bhyt));

    his::CurlTransport t(options());
    his::FhirHis fhir(t, g_server->base(), k.id_base);
    auto engine = engine_for(k, fhir);
    EXPECT_EQ(engine.run_once().waiting, 0) << engine.status().last_error;
    EXPECT_EQ(engine.status().quarantined, 0) << engine.status().last_error;
    const auto by_bhyt = patients_on_server(core::kDefaultBhytSystem, bhyt);
    ASSERT_EQ(by_bhyt.size(), 1u) << "matched, not a second Patient";
    EXPECT_EQ(by_bhyt[0]["id"], desk_id);
    EXPECT_TRUE(patients_on_server(core::kDefaultCccdSystem, cccd).empty());
}

TEST(FhirIntegration, NumbersOfTwoDifferentHisPatientsAreAConflictForStaff) {
    Kiosk k("IT-PAT-TWO");
    const std::string cccd = new_cccd(), bhyt = new_bhyt();
    seed_desk_patient(core::kDefaultCccdSystem, cccd);
    seed_desk_patient(core::kDefaultBhytSystem, bhyt); // someone else, or a duplicate the HIS already has
    k.enrol(patient_details(cccd, bhyt));

    his::CurlTransport t(options());
    his::FhirHis fhir(t, g_server->base(), k.id_base);
    auto engine = engine_for(k, fhir);
    engine.run_once();
    EXPECT_EQ(engine.status().quarantined, 1) << "a dead letter for staff, nothing created or retried";
    const auto dead = store::Outbox(k.db).dead_letters(1);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].reason.rfind("conflict: ", 0), 0u) << dead[0].reason;
    EXPECT_EQ(patients_on_server(core::kDefaultCccdSystem, cccd).size(), 1u);
    EXPECT_EQ(patients_on_server(core::kDefaultBhytSystem, bhyt).size(), 1u);
}

// --- a ticket taken after a registration at the kiosk (issue 8, item B) --------------------------------

namespace {

// Passes every request on and writes down, per request, the resource types it wrote, in order.
class WritesSeen final : public his::HttpTransport {
public:
    explicit WritesSeen(his::HttpTransport& next) : next_(next) {}
    his::HttpResponse send(const his::HttpRequest& request) override {
        if (request.method == "POST") {
            std::vector<std::string> types;
            const auto body = nlohmann::json::parse(request.body, nullptr, false);
            if (body.value("resourceType", "") == "Bundle")
                for (const auto& e : body.value("entry", nlohmann::json::array()))
                    types.push_back(e["resource"].value("resourceType", ""));
            else
                types.push_back(body.value("resourceType", ""));
            requests.push_back(std::move(types));
        }
        return next_.send(request);
    }
    std::vector<std::vector<std::string>> requests;

    // Index of the first request writing `type`, or -1.
    [[nodiscard]] int first(const std::string& type) const {
        for (std::size_t i = 0; i < requests.size(); ++i)
            for (const auto& t : requests[i])
                if (t == type) return static_cast<int>(i);
        return -1;
    }

private:
    his::HttpTransport& next_;
};

// The Encounters of the server with this ticket reference under the kiosk's namespace.
std::vector<nlohmann::json> encounters_with(const Kiosk& k, const std::string& reference) {
    return search_on_server(
        "/Encounter?identifier=" +
        his::url_encode(his::identifier_token(his::identifier_system(k.id_base, "ticket"), reference)));
}

} // namespace

TEST(FhirIntegration, TicketAfterARegistrationTheHisMatchedNamesThatHisPatient) {
    // The desk registered the patient long ago; the HIS was down when the patient registered at the kiosk
    // and took a ticket. When the HIS is back, the registration matches the desk's Patient (200), and the
    // ticket's Encounter must name that Patient, sent after it.
    Kiosk k("IT-DEP-KNOWN");
    const std::string cccd = new_cccd();
    const std::string desk_id = seed_desk_patient(core::kDefaultCccdSystem, cccd);
    const auto p = k.enrol(patient_details(cccd, new_bhyt()));
    const std::string walk_in = k.issue();
    const std::string ticket =
        k.tickets.issue(k.identity, k.service, k.clock.now(), core::PatientRef{"", p.kiosk_patient_id})
            .reference;

    store::Outbox outbox(k.db);
    const auto queued = outbox.peek(10);
    ASSERT_EQ(queued.size(), 3u);
    EXPECT_EQ(queued[2].depends_on, queued[0].id) << "the ticket waits for the registration";
    EXPECT_EQ(outbox.due(k.clock.now(), 50).size(), 2u) << "not the ticket, while the registration waits";

    his::CurlTransport curl(options());
    WritesSeen seen(curl);
    his::FhirHis fhir(seen, g_server->base(), k.id_base);
    auto engine = engine_for(k, fhir);
    const auto st = engine.run_once();
    EXPECT_EQ(st.waiting, 0) << st.last_error;
    EXPECT_EQ(st.quarantined, 0) << st.last_error;

    const auto encounters = encounters_with(k, ticket);
    ASSERT_EQ(encounters.size(), 1u);
    EXPECT_EQ(encounters[0]["subject"], (nlohmann::json{{"reference", "Patient/" + desk_id}}));
    EXPECT_EQ(encounters_with(k, walk_in).size(), 1u);
    EXPECT_TRUE(patients_on_server(his::identifier_system(k.id_base, "patient"), p.kiosk_patient_id).empty())
        << "matched, not created: no HIS Patient carries the kiosk identifier";

    // Never before the Patient: the Patient's request came first, the ticket's Encounter in a later one.
    const int patient_at = seen.first("Patient");
    ASSERT_GE(patient_at, 0);
    int ticket_at = -1;
    for (std::size_t i = 0; i < seen.requests.size(); ++i)
        if (seen.requests[i].size() == 1 && seen.requests[i][0] == "Encounter")
            ticket_at = static_cast<int>(i);
    ASSERT_GE(ticket_at, 0) << "the dependant went in a request of its own";
    EXPECT_LT(patient_at, ticket_at);

    // A ticket taken later, once the registration is delivered, names the same Patient at once.
    k.clock.advance(60'000);
    const std::string later =
        k.tickets.issue(k.identity, k.service, k.clock.now(), core::PatientRef{"", p.kiosk_patient_id})
            .reference;
    EXPECT_EQ(engine.run_once().waiting, 0) << engine.status().last_error;
    const auto again = encounters_with(k, later);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0]["subject"]["reference"], "Patient/" + desk_id);
}

TEST(FhirIntegration, TicketOfARegistrationTheHisRefusedIsHeldAndNeverSent) {
    // The CCCD and the BHYT number belong to two different HIS Patients: the registration is refused (412).
    Kiosk k("IT-DEP-REFUSED");
    const std::string cccd = new_cccd(), bhyt = new_bhyt();
    seed_desk_patient(core::kDefaultCccdSystem, cccd);
    seed_desk_patient(core::kDefaultBhytSystem, bhyt);
    const auto p = k.enrol(patient_details(cccd, bhyt));
    const std::string ticket =
        k.tickets.issue(k.identity, k.service, k.clock.now(), core::PatientRef{"", p.kiosk_patient_id})
            .reference;
    const std::string walk_in = k.issue();

    his::CurlTransport curl(options());
    WritesSeen seen(curl);
    his::FhirHis fhir(seen, g_server->base(), k.id_base);
    auto engine = engine_for(k, fhir);
    auto st = engine.run_once();
    EXPECT_EQ(st.waiting, 0) << st.last_error;
    EXPECT_EQ(st.quarantined, 2) << "the registration, and the ticket held with it";

    store::Outbox outbox(k.db);
    const auto dead = outbox.dead_letters(10);
    ASSERT_EQ(dead.size(), 2u);
    const auto& held = dead[0].aggregate_type == "ticket" ? dead[0] : dead[1];
    const auto& refused = dead[0].aggregate_type == "ticket" ? dead[1] : dead[0];
    EXPECT_EQ(refused.aggregate_id, p.kiosk_patient_id);
    EXPECT_EQ(refused.reason.rfind("conflict: ", 0), 0u) << refused.reason;
    EXPECT_EQ(held.aggregate_id, ticket);
    EXPECT_EQ(held.depends_on, refused.outbox_id);
    EXPECT_EQ(held.reason.rfind("held: ", 0), 0u) << held.reason;
    EXPECT_NE(held.reason.find("outbox record " + std::to_string(refused.outbox_id) + " (patient " +
                               p.kiosk_patient_id + ")"),
              std::string::npos)
        << held.reason;
    EXPECT_EQ(held.attempts, 0) << "never sent";

    // A ticket taken after the refusal is held at once, and never sent either.
    k.clock.advance(60'000);
    const std::string after =
        k.tickets.issue(k.identity, k.service, k.clock.now(), core::PatientRef{"", p.kiosk_patient_id})
            .reference;
    EXPECT_EQ(outbox.count(), 0);
    st = engine.run_once();
    EXPECT_EQ(st.quarantined, 3) << st.last_error;

    EXPECT_TRUE(encounters_with(k, ticket).empty());
    EXPECT_TRUE(encounters_with(k, after).empty());
    EXPECT_EQ(encounters_with(k, walk_in).size(), 1u) << "the others are not held up";
    int encounters_sent = 0;
    for (const auto& r : seen.requests)
        for (const auto& type : r)
            encounters_sent += type == "Encounter";
    EXPECT_EQ(encounters_sent, 1) << "only the walk-in's Encounter was ever sent";
}
