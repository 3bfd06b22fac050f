// The download half of the HIS sync: ReferenceDownloader -> libcurl -> the real FHIR R4 test server
// (tests/fhir-server), each test with a server of its own so that "everything of a type" is exactly what
// the test seeded; a proxy in front of it refuses cursor queries or garbles pages. The unit tests at the
// end script the HTTP answers instead (FakeTransport).
#include "kiosk/core/clock.hpp"
#include "kiosk/his/curl_transport.hpp"
#include "kiosk/his/fhir_mapping.hpp"
#include "kiosk/store/outbox.hpp"
#include "kiosk/store/reference_cache.hpp"
#include "kiosk/store/ticket_store.hpp"
#include "kiosk/sync/reference_download.hpp"

#include "his/fakes.hpp"
#include "his/fault_server.hpp"
#include "his/fhir_server.hpp"
#include "temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using namespace kiosk;
using nlohmann::json;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

constexpr core::UnixMillis kMinute = 60'000;
constexpr core::UnixMillis kHour = 60 * kMinute;
constexpr core::UnixMillis kDay = 24 * kHour;

his::TransportOptions options() {
    his::TransportOptions o;
    o.connect_timeout = std::chrono::milliseconds(2000);
    o.total_timeout = std::chrono::milliseconds(10000);
    o.user_agent = "kiosk-test";
    return o;
}

// An instant of `ms` as the FHIR server writes one: 2026-11-24T12:37:06Z.
std::string iso(core::UnixMillis ms) {
    using namespace std::chrono;
    const sys_time<seconds> t = floor<seconds>(sys_time<milliseconds>(milliseconds(ms)));
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss hms{t - day};
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return text;
}

// Records every request on its way to the real transport.
class RecordingTransport final : public his::HttpTransport {
public:
    RecordingTransport() : inner_(options()) {}
    his::HttpResponse send(const his::HttpRequest& request) override {
        urls.push_back(request.url);
        return inner_.send(request);
    }
    // The URLs sent for one type since the last clear().
    [[nodiscard]] std::vector<std::string> of(const std::string& type) const {
        std::vector<std::string> out;
        for (const auto& u : urls)
            if (u.find("/" + type + "?") != std::string::npos) out.push_back(u);
        return out;
    }
    std::vector<std::string> urls;

private:
    his::CurlTransport inner_;
};

// A proxy in front of the FHIR server: forwards GETs, rewriting the server's absolute links to itself, unless
// `intercept` answers the request first (return true).
class Proxy {
public:
    explicit Proxy(const std::string& upstream_base) : upstream_base_(upstream_base) {
        const auto host_at = upstream_base.find("://") + 3;
        path_at_ = upstream_base.find('/', host_at);
        upstream_origin_ = upstream_base.substr(0, path_at_);
        server_.server().Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
            {
                const std::lock_guard lock(mutex_);
                if (intercept && intercept(req.target, res)) return;
            }
            httplib::Client up(upstream_origin_);
            auto r = up.Get(req.target.c_str(), httplib::Headers{{"Accept", "application/fhir+json"}});
            if (!r) {
                res.status = 502;
                return;
            }
            std::string body = r->body;
            for (auto at = body.find(upstream_base_); at != std::string::npos;
                 at = body.find(upstream_base_, at))
                body.replace(at, upstream_base_.size(), base());
            res.status = r->status;
            res.set_content(body, "application/fhir+json");
        });
        server_.start();
    }
    [[nodiscard]] std::string base() const { return server_.url(upstream_base_.substr(path_at_)); }
    void set_intercept(std::function<bool(const std::string& target, httplib::Response&)> f) {
        const std::lock_guard lock(mutex_);
        intercept = std::move(f);
    }

private:
    std::string upstream_base_;
    std::string upstream_origin_;
    std::size_t path_at_ = 0;
    std::mutex mutex_;
    std::function<bool(const std::string&, httplib::Response&)> intercept;
    test::HttpTestServer server_;
};

// What a test seeds: one organisation with its service, location, practitioner, role, schedule and slots.
struct Seeded {
    std::string organization, location, service, practitioner, role, schedule;
    std::vector<std::string> slots;        // inside the window, creation order
    std::string past_slot, far_slot;       // outside the window
    std::map<std::string, json> resources; // "Type/id" -> as the server returned it
};

// Each test: its own FHIR server, its own kiosk database, and "now" from the real clock (the server stamps
// meta.lastUpdated with it, and the slots are placed relative to it).
class ReferenceDownloadTest : public ::testing::Test {
protected:
    test::FhirServer server_;
    test::TempDir dir_;
    store::Database db_ = store::Database::open(dir_ / "kiosk.db");
    store::ReferenceCache cache_{db_};
    his::CurlTransport http_{options()};
    RecordingTransport transport_;
    const core::UnixMillis now_ = core::SystemClock().now();

    sync::ReferenceDownloadSettings settings(int page_size = 7) {
        sync::ReferenceDownloadSettings s;
        s.page_size = page_size;
        return s;
    }

    json call(const std::string& method, const std::string& path, const json& body = nullptr) {
        his::HttpRequest req{method, server_.base() + "/" + path, {{"Accept", "application/fhir+json"}}, ""};
        if (!body.is_null()) {
            req.headers["Content-Type"] = "application/fhir+json";
            req.body = body.dump();
        }
        const auto r = http_.send(req);
        if (!r.ok())
            throw std::runtime_error(method + " " + path + ": HTTP " + std::to_string(r.status) + " " +
                                     r.body);
        return r.body.empty() ? json() : json::parse(r.body);
    }
    std::string create(Seeded& s, json resource) {
        const std::string type = resource["resourceType"];
        const json stored = call("POST", type, resource);
        const std::string id = stored["id"];
        s.resources[type + "/" + id] = stored;
        return id;
    }
    json slot(const std::string& schedule, core::UnixMillis start, const std::string& status = "free") {
        return {{"resourceType", "Slot"},
                {"schedule", {{"reference", "Schedule/" + schedule}}},
                {"status", status},
                {"start", iso(start)},
                {"end", iso(start + 15 * kMinute)}};
    }

    Seeded seed(int slots = 30) {
        Seeded s;
        s.organization =
            create(s, {{"resourceType", "Organization"}, {"name", "Bệnh viện Đa khoa"}, {"active", true}});
        s.location = create(s, {{"resourceType", "Location"},
                                {"name", "Khu khám A"},
                                {"status", "active"},
                                {"managingOrganization", {{"reference", "Organization/" + s.organization}}}});
        s.service = create(s, {{"resourceType", "HealthcareService"},
                               {"name", "Khám BHYT"},
                               {"active", true},
                               {"providedBy", {{"reference", "Organization/" + s.organization}}}});
        s.practitioner = create(s, {{"resourceType", "Practitioner"},
                                    {"active", false},
                                    {"name", {{{"family", "Nguyễn"}, {"given", {"An"}}}}}});
        s.role = create(s, {{"resourceType", "PractitionerRole"},
                            {"active", true},
                            {"practitioner", {{"reference", "Practitioner/" + s.practitioner}}},
                            {"organization", {{"reference", "Organization/" + s.organization}}}});
        s.schedule = create(s, {{"resourceType", "Schedule"},
                                {"active", true},
                                {"actor", {{{"reference", "PractitionerRole/" + s.role}}}}});
        // Every 8 hours from tomorrow on, so 30 slots span 10 days: well inside a 14-day window.
        const core::UnixMillis first = (now_ / kHour + 24) * kHour;
        for (int i = 0; i < slots; ++i)
            s.slots.push_back(create(s, slot(s.schedule, first + i * 8 * kHour)));
        s.past_slot = create(s, slot(s.schedule, now_ - 3 * kDay));
        s.far_slot = create(s, slot(s.schedule, now_ + 20 * kDay));
        return s;
    }

    static std::string updated(const Seeded& s, const std::string& key) {
        return s.resources.at(key)["meta"]["lastUpdated"].get<std::string>();
    }

    // meta.lastUpdated of the newest of these resources.
    static std::string newest(const Seeded& s, const std::string& type) {
        std::string max;
        for (const auto& [key, r] : s.resources)
            if (key.rfind(type + "/", 0) == 0)
                max = std::max(max, r["meta"]["lastUpdated"].get<std::string>());
        return max;
    }

    // Sets a slot's status with a PUT; returns the resource as stored.
    json set_status(Seeded& s, const std::string& id, const std::string& status) {
        json r = s.resources.at("Slot/" + id);
        r["status"] = status;
        r.erase("meta");
        json stored = call("PUT", "Slot/" + id, r);
        s.resources["Slot/" + id] = stored;
        return stored;
    }

    [[nodiscard]] std::string slot_status(const std::string& id) const {
        const auto row = cache_.find("Slot", id);
        return row ? row->status : "(not cached)";
    }
};

const sync::TypeDownload& of(const sync::DownloadResult& r, const std::string& type) {
    const auto* t = r.find(type);
    if (!t) throw std::runtime_error("no result for " + type);
    return *t;
}

std::string describe(const sync::DownloadResult& r) {
    std::string out;
    for (const auto& t : r.types)
        out += t.resource_type + ": fetched " + std::to_string(t.fetched) + ", unchanged " +
               std::to_string(t.unchanged) + ", removed " + std::to_string(t.removed) + ", pages " +
               std::to_string(t.pages) + (t.full_scan ? ", full scan (" + t.full_scan_reason + ")" : "") +
               (t.error.empty() ? "" : ", ERROR " + t.error) + "\n";
    return out;
}

TEST_F(ReferenceDownloadTest, FirstDownloadPagesThroughEverythingAndSetsCursors) {
    const Seeded s = seed();
    sync::ReferenceDownloader dl(transport_, server_.base(), db_, settings(7));
    const auto r = dl.run_once(now_);
    ASSERT_TRUE(r.ok()) << describe(r);
    ASSERT_EQ(r.types.size(), 7u);
    for (const auto& t : r.types) {
        EXPECT_TRUE(t.full_scan) << t.resource_type;
        EXPECT_EQ(t.full_scan_reason, "first download");
        EXPECT_EQ(t.removed, 0);
        EXPECT_EQ(t.fetched, t.resource_type == "Slot" ? 30 : 1) << t.resource_type;
        EXPECT_EQ(cache_.count(t.resource_type), t.resource_type == "Slot" ? 30 : 1) << t.resource_type;
        if (t.resource_type != "Slot") {
            EXPECT_EQ(cache_.cursor(t.resource_type), newest(s, t.resource_type)) << t.resource_type;
        }
        EXPECT_EQ(cache_.reconciled_at(t.resource_type), now_);
    }
    // 30 slots, 7 a page, each page after the first starting at the previous page's newest: >= 5 pages.
    EXPECT_GE(of(r, "Slot").pages, 5);
    EXPECT_LE(of(r, "Slot").pages, 7);
    // The newest slot on the server (the far one) is outside the window: the cursor is the newest received.
    EXPECT_EQ(cache_.cursor("Slot"), updated(s, "Slot/" + s.slots.back()));
    ASSERT_LT(updated(s, "Slot/" + s.slots.back()), updated(s, "Slot/" + s.far_slot));

    // The window: the past and the far slot are not downloaded.
    EXPECT_EQ(cache_.find("Slot", s.past_slot), std::nullopt);
    EXPECT_EQ(cache_.find("Slot", s.far_slot), std::nullopt);

    // Requests: the window and the sort on every Slot page, the keyset bound URL-encoded.
    const auto slot_urls = transport_.of("Slot");
    ASSERT_FALSE(slot_urls.empty());
    EXPECT_THAT(slot_urls.front(),
                AllOf(HasSubstr("_count=7"), HasSubstr("_sort=_lastUpdated"), HasSubstr("&start=ge"),
                      HasSubstr("&start=lt"), Not(HasSubstr("_lastUpdated=ge"))));
    EXPECT_THAT(slot_urls[1], HasSubstr("_lastUpdated=ge20"));
    EXPECT_THAT(slot_urls[1], HasSubstr("%3A"));
    for (const auto& u : slot_urls) {
        const auto at = u.find("_lastUpdated=ge");
        if (at == std::string::npos) continue;
        const auto value = u.substr(at + 15, u.find('&', at) - at - 15);
        EXPECT_EQ(value.find(':'), std::string::npos) << u;
    }

    // What was lifted out of the resources.
    const auto slot0 = cache_.find("Slot", s.slots[0]);
    ASSERT_TRUE(slot0);
    const json& seeded0 = s.resources.at("Slot/" + s.slots[0]);
    EXPECT_EQ(slot0->status, "free");
    EXPECT_EQ(slot0->starts_at, seeded0["start"]);
    EXPECT_EQ(slot0->ends_at, seeded0["end"]);
    EXPECT_EQ(slot0->parent_ref, "Schedule/" + s.schedule);
    EXPECT_EQ(slot0->version_id, seeded0["meta"]["versionId"]);
    EXPECT_EQ(slot0->last_updated, seeded0["meta"]["lastUpdated"]);
    EXPECT_EQ(json::parse(slot0->json), seeded0);
    EXPECT_EQ(cache_.find("PractitionerRole", s.role)->parent_ref, "Practitioner/" + s.practitioner);
    EXPECT_EQ(cache_.find("Schedule", s.schedule)->parent_ref, "PractitionerRole/" + s.role);
    EXPECT_EQ(cache_.find("HealthcareService", s.service)->parent_ref, "Organization/" + s.organization);
    EXPECT_EQ(cache_.find("Location", s.location)->parent_ref, "Organization/" + s.organization);
    EXPECT_EQ(cache_.find("Location", s.location)->status, "active");
    EXPECT_EQ(cache_.find("Practitioner", s.practitioner)->status, "inactive") << "kept, with its status";
    EXPECT_EQ(cache_.find("Organization", s.organization)->status, "active");

    // The booking query sees all 30, in order.
    const auto free = cache_.slots("Schedule/" + s.schedule, iso(now_), iso(now_ + 15 * kDay), 100);
    ASSERT_EQ(free.size(), 30u);
    for (std::size_t i = 0; i < free.size(); ++i)
        EXPECT_EQ(free[i].id, s.slots[i]);

    // A second run right away brings nothing new and rewrites nothing.
    const auto again = dl.run_once(now_ + kMinute);
    ASSERT_TRUE(again.ok()) << describe(again);
    for (const auto& t : again.types) {
        EXPECT_FALSE(t.full_scan) << t.resource_type;
        EXPECT_EQ(t.fetched, 0) << t.resource_type;
        EXPECT_EQ(t.removed, 0) << t.resource_type;
        EXPECT_EQ(t.pages, 1) << t.resource_type;
    }
}

TEST_F(ReferenceDownloadTest, FirstDownloadLargerThanOneRunsRequestLimitCompletesOverSeveralRuns) {
    const Seeded s = seed();
    auto limited = settings(7);
    limited.max_pages_per_type = 2; // 30 slots, 7 a page: at least 5 pages
    int runs = 0;
    core::UnixMillis at = now_;
    for (; runs < 10; ++runs, at += kMinute) {
        // A new downloader and a reopened database every run, as after a restart.
        auto db = store::Database::open(dir_ / "restarted.db");
        sync::ReferenceDownloader dl(transport_, server_.base(), db, limited);
        const auto r = dl.run_once(at);
        const auto& slots = of(r, "Slot");
        EXPECT_TRUE(slots.full_scan);
        EXPECT_EQ(slots.full_scan_reason, "first download");
        if (slots.ok()) break;
        EXPECT_THAT(slots.error, HasSubstr("the full scan continues in the next run")) << describe(r);
        EXPECT_EQ(store::ReferenceCache(db).reconciled_at("Slot"), std::nullopt);
    }
    EXPECT_GE(runs, 2);
    EXPECT_LT(runs, 10);
    auto db = store::Database::open(dir_ / "restarted.db");
    store::ReferenceCache cache(db);
    std::vector<std::string> expected = s.slots;
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(cache.ids("Slot"), expected);
    EXPECT_EQ(cache.reconciled_at("Slot"), at);
    EXPECT_EQ(cache.cursor("Slot"), updated(s, "Slot/" + s.slots.back()));
    EXPECT_LE(transport_.of("Slot").size(), 8u) << "no page fetched twice but the keyset overlaps";
}

TEST_F(ReferenceDownloadTest, IncrementalRunFetchesOnlyChangedAndNewSlots) {
    Seeded s = seed();
    sync::ReferenceDownloader dl(transport_, server_.base(), db_, settings(7));
    ASSERT_TRUE(dl.run_once(now_).ok());
    const auto first_cursor = cache_.cursor("Slot");
    ASSERT_TRUE(first_cursor);

    for (int i : {3, 11, 25})
        set_status(s, s.slots[static_cast<std::size_t>(i)], "busy");
    const core::UnixMillis later = (now_ / kHour + 24) * kHour + 30 * kMinute;
    const std::string added1 = create(s, slot(s.schedule, later));
    const std::string added2 = create(s, slot(s.schedule, later + 2 * kDay));
    transport_.urls.clear();

    const auto r = dl.run_once(now_ + kMinute);
    ASSERT_TRUE(r.ok()) << describe(r);
    const auto& slots = of(r, "Slot");
    EXPECT_FALSE(slots.full_scan) << slots.full_scan_reason;
    EXPECT_EQ(slots.fetched, 5) << describe(r);
    EXPECT_EQ(slots.removed, 0);
    EXPECT_LE(slots.pages, 2);
    for (const auto& type :
         {"Organization", "Location", "HealthcareService", "Practitioner", "PractitionerRole", "Schedule"}) {
        EXPECT_EQ(of(r, type).fetched, 0) << type;
        EXPECT_FALSE(of(r, type).full_scan) << type;
    }
    // The query started at the cursor of the first run, URL-encoded.
    const auto urls = transport_.of("Slot");
    ASSERT_FALSE(urls.empty());
    EXPECT_THAT(urls.front(), HasSubstr("_lastUpdated=ge" + his::url_encode(*first_cursor)));

    EXPECT_EQ(slot_status(s.slots[3]), "busy");
    EXPECT_EQ(slot_status(s.slots[11]), "busy");
    EXPECT_EQ(slot_status(s.slots[25]), "busy");
    EXPECT_EQ(slot_status(s.slots[4]), "free");
    EXPECT_EQ(slot_status(added1), "free");
    EXPECT_EQ(slot_status(added2), "free");
    EXPECT_EQ(cache_.find("Slot", s.slots[3])->version_id,
              s.resources.at("Slot/" + s.slots[3])["meta"]["versionId"]);
    EXPECT_EQ(cache_.count("Slot"), 32);
    EXPECT_EQ(cache_.slots("Schedule/" + s.schedule, iso(now_), iso(now_ + 15 * kDay), 100).size(), 29u);
    EXPECT_EQ(cache_.cursor("Slot"), updated(s, "Slot/" + added2));
    EXPECT_EQ(cache_.cursor("Organization"), newest(s, "Organization"))
        << "unchanged types keep their cursor";
}

TEST_F(ReferenceDownloadTest, DeletedSlotIsRemovedOnTheNextRunThroughTheCountCheck) {
    Seeded s = seed();
    sync::ReferenceDownloader dl(transport_, server_.base(), db_, settings(7));
    ASSERT_TRUE(dl.run_once(now_).ok());
    call("DELETE", "Slot/" + s.slots[7]);
    ASSERT_TRUE(cache_.find("Slot", s.slots[7]));

    const auto r = dl.run_once(now_ + 6 * kMinute);
    ASSERT_TRUE(r.ok()) << describe(r);
    const auto& slots = of(r, "Slot");
    EXPECT_TRUE(slots.full_scan);
    EXPECT_THAT(slots.full_scan_reason, HasSubstr("count mismatch: the server holds 29, the cache 30"));
    EXPECT_EQ(slots.removed, 1);
    EXPECT_EQ(slots.fetched, 0);
    EXPECT_EQ(cache_.find("Slot", s.slots[7]), std::nullopt);
    EXPECT_EQ(cache_.count("Slot"), 29);
    EXPECT_EQ(cache_.reconciled_at("Slot"), now_ + 6 * kMinute);
    for (const auto& t : r.types)
        if (t.resource_type != "Slot") {
            EXPECT_FALSE(t.full_scan) << t.resource_type << ": " << t.full_scan_reason;
        }

    // A deleted practitioner goes the same way.
    call("DELETE", "Practitioner/" + s.practitioner);
    const auto r2 = dl.run_once(now_ + 12 * kMinute);
    ASSERT_TRUE(r2.ok()) << describe(r2);
    EXPECT_EQ(of(r2, "Practitioner").removed, 1);
    EXPECT_EQ(cache_.count("Practitioner"), 0);
}

// Without the count check (or when counts happen to agree: a deletion while an unchanged slot enters the
// moving window) only the periodic reconciliation learns of a deletion.
TEST_F(ReferenceDownloadTest, DeletionIsFoundByThePeriodicReconciliationWithoutTheCountCheck) {
    Seeded s = seed();
    auto no_count = settings(7);
    no_count.count_check = false;
    sync::ReferenceDownloader dl(transport_, server_.base(), db_, no_count);
    ASSERT_TRUE(dl.run_once(now_).ok());
    call("DELETE", "Slot/" + s.slots[0]);
    set_status(s, s.slots[1], "busy");
    transport_.urls.clear();

    const auto r = dl.run_once(now_ + 10 * kMinute);
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_FALSE(of(r, "Slot").full_scan) << of(r, "Slot").full_scan_reason;
    EXPECT_EQ(of(r, "Slot").fetched, 1);
    EXPECT_EQ(of(r, "Slot").removed, 0);
    EXPECT_EQ(slot_status(s.slots[1]), "busy");
    EXPECT_EQ(slot_status(s.slots[0]), "free") << "not known yet";
    EXPECT_EQ(transport_.of("Slot").size(), 1u) << "no count request";

    const auto r2 = dl.run_once(now_ + 7 * kHour);
    ASSERT_TRUE(r2.ok()) << describe(r2);
    for (const auto& t : r2.types) {
        EXPECT_TRUE(t.full_scan) << t.resource_type;
        EXPECT_EQ(t.full_scan_reason, "periodic reconciliation");
        EXPECT_EQ(t.fetched, 0) << t.resource_type;
    }
    EXPECT_EQ(of(r2, "Slot").removed, 1);
    EXPECT_EQ(of(r2, "Slot").unchanged, 29);
    EXPECT_EQ(cache_.find("Slot", s.slots[0]), std::nullopt);
    EXPECT_EQ(cache_.count("Slot"), 29);
    EXPECT_EQ(cache_.reconciled_at("Slot"), now_ + 7 * kHour);
}

TEST_F(ReferenceDownloadTest, RefusedCursorLeadsToAFullDownloadAndLeavesTheOutboxAlone) {
    Seeded s = seed();
    // A ticket waiting in the outbox: the download must not touch it.
    store::TicketStore tickets(db_);
    const core::KioskIdentity kiosk{"IT-REF", "K1", 'A', 420};
    tickets.issue(kiosk, core::Service{"KBH", "A", "Khám BHYT", "Insured"}, now_);
    store::Outbox outbox(db_);
    const auto waiting = outbox.peek(10);
    ASSERT_EQ(waiting.size(), 1u);

    Proxy proxy(server_.base());
    std::atomic<int> refused{0};
    sync::ReferenceDownloader dl(transport_, proxy.base(), db_, settings(7));
    ASSERT_TRUE(dl.run_once(now_).ok());
    ASSERT_EQ(cache_.count("Slot"), 30);

    set_status(s, s.slots[2], "busy-unavailable");
    call("DELETE", "Slot/" + s.slots[9]);
    // From now on the server refuses every _lastUpdated query ("cursor too old").
    proxy.set_intercept([&](const std::string& target, httplib::Response& res) {
        if (target.find("_lastUpdated=") == std::string::npos) return false;
        ++refused;
        res.status = 400;
        res.set_content(R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid",)"
                        R"("diagnostics":"cursor too old"}]})",
                        "application/fhir+json");
        return true;
    });
    transport_.urls.clear();
    const auto r = dl.run_once(now_ + kMinute);
    ASSERT_TRUE(r.ok()) << describe(r);
    for (const auto& t : r.types) {
        EXPECT_TRUE(t.full_scan) << t.resource_type;
        EXPECT_THAT(t.full_scan_reason,
                    AllOf(HasSubstr("refused the cursor"), HasSubstr("400"), HasSubstr("cursor too old")));
    }
    const auto& slots = of(r, "Slot");
    EXPECT_EQ(slots.fetched, 1);
    EXPECT_EQ(slots.removed, 1);
    EXPECT_EQ(slots.unchanged, 28);
    EXPECT_GT(refused.load(), 7);
    // The full scan went on by the server's next links once keyset queries were refused.
    EXPECT_THAT(transport_.of("Slot"), Contains(HasSubstr("_offset=7")));

    EXPECT_EQ(slot_status(s.slots[2]), "busy-unavailable");
    EXPECT_EQ(cache_.find("Slot", s.slots[9]), std::nullopt);
    EXPECT_EQ(cache_.count("Slot"), 29);
    EXPECT_EQ(cache_.cursor("Slot"), updated(s, "Slot/" + s.slots[2])) << "the newest in the window";
    EXPECT_EQ(outbox.peek(10), waiting);
}

TEST_F(ReferenceDownloadTest, GarbagePageIsAnErrorForItsTypeAndStoresNothingOfIt) {
    Seeded s = seed();
    Proxy proxy(server_.base());
    sync::ReferenceDownloader dl(transport_, proxy.base(), db_, settings(7));

    // A first download whose second Slot page is garbage: the first page is kept, nothing more.
    proxy.set_intercept([](const std::string& target, httplib::Response& res) {
        if (target.find("/Slot?") == std::string::npos || target.find("_lastUpdated=ge") == std::string::npos)
            return false;
        res.status = 200;
        res.set_content("<html>proxy error</html>", "text/html");
        return true;
    });
    const auto first = dl.run_once(now_);
    EXPECT_THAT(of(first, "Slot").error, HasSubstr("malformed page"));
    EXPECT_EQ(cache_.count("Slot"), 7);
    EXPECT_EQ(cache_.reconciled_at("Slot"), std::nullopt);
    for (const auto& t : first.types)
        if (t.resource_type != "Slot") {
            EXPECT_TRUE(t.ok()) << t.resource_type << ": " << t.error;
        }

    proxy.set_intercept(nullptr);
    const auto clean = dl.run_once(now_ + kMinute);
    ASSERT_TRUE(clean.ok()) << describe(clean);
    EXPECT_EQ(of(clean, "Slot").full_scan_reason, "first download");
    ASSERT_EQ(cache_.count("Slot"), 30);
    const auto cursor = cache_.cursor("Slot");

    for (int i : {1, 2, 3})
        set_status(s, s.slots[static_cast<std::size_t>(i)], "busy");
    const std::vector<std::pair<std::string, std::string>> garbage = {
        {"not JSON", "{\"resourceType\":\"Bundle\",\"entry\":["},
        {"not a Bundle", R"({"resourceType":"OperationOutcome","issue":[]})"},
        {"entry without resource",
         R"({"resourceType":"Bundle","type":"searchset","entry":[{"fullUrl":"x"}]})"},
        {"resource without id",
         R"({"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Slot",)"
         R"("meta":{"lastUpdated":"2030-01-01T00:00:00.000Z"},"status":"free"}}]})"},
        {"resource of another type",
         R"({"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Patient","id":"p",)"
         R"("meta":{"lastUpdated":"2030-01-01T00:00:00.000Z"}}}]})"},
        {"no lastUpdated",
         R"({"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Slot","id":"z"}}]})"},
        {"entry not an array", R"({"resourceType":"Bundle","type":"searchset","entry":{}})"},
    };
    for (const auto& [what, body] : garbage) {
        std::string page = body;
        proxy.set_intercept([&page](const std::string& target, httplib::Response& res) {
            if (target.find("/Slot?") == std::string::npos) return false;
            res.status = 200;
            res.set_content(page, "application/fhir+json");
            return true;
        });
        const auto r = dl.run_once(now_ + 2 * kMinute);
        EXPECT_THAT(of(r, "Slot").error, HasSubstr("malformed page")) << what;
        EXPECT_EQ(of(r, "Slot").fetched, 0) << what;
        for (const auto& t : r.types)
            if (t.resource_type != "Slot") {
                EXPECT_TRUE(t.ok()) << what << ": " << t.resource_type << ": " << t.error;
            }
        EXPECT_EQ(cache_.cursor("Slot"), cursor) << what;
        EXPECT_EQ(cache_.count("Slot"), 30) << what;
        EXPECT_EQ(slot_status(s.slots[1]), "free") << what;
        EXPECT_EQ(cache_.find("Slot", "z"), std::nullopt) << what;
    }
    // One good resource followed by a broken one in the same page: nothing of the page.
    json good = s.resources.at("Slot/" + s.slots[1]);
    const json mixed = {{"resourceType", "Bundle"},
                        {"type", "searchset"},
                        {"entry", {{{"resource", good}}, {{"resource", {{"resourceType", "Slot"}}}}}}};
    const std::string mixed_text = mixed.dump();
    proxy.set_intercept([&mixed_text](const std::string& target, httplib::Response& res) {
        if (target.find("/Slot?") == std::string::npos) return false;
        res.status = 200;
        res.set_content(mixed_text, "application/fhir+json");
        return true;
    });
    EXPECT_THAT(of(dl.run_once(now_ + 3 * kMinute), "Slot").error, HasSubstr("entry 1: a Slot without id"));
    EXPECT_EQ(slot_status(s.slots[1]), "free");
    EXPECT_EQ(cache_.cursor("Slot"), cursor);

    proxy.set_intercept(nullptr);
    const auto healed = dl.run_once(now_ + 4 * kMinute);
    ASSERT_TRUE(healed.ok()) << describe(healed);
    EXPECT_EQ(of(healed, "Slot").fetched, 3);
    EXPECT_EQ(slot_status(s.slots[1]), "busy");
}

TEST_F(ReferenceDownloadTest, UnreachableHisLeavesTheCacheAndSkipsTheOtherTypes) {
    seed(3);
    sync::ReferenceDownloader good(transport_, server_.base(), db_, settings(7));
    ASSERT_TRUE(good.run_once(now_).ok());
    sync::ReferenceDownloader down(
        transport_, "http://127.0.0.1:" + std::to_string(test::unused_port()) + "/fhir/R4", db_, settings(7));
    transport_.urls.clear();
    const auto r = down.run_once(now_ + kMinute);
    ASSERT_EQ(r.types.size(), 7u);
    EXPECT_THAT(r.types[0].error, HasSubstr("cannot connect"));
    for (std::size_t i = 1; i < r.types.size(); ++i)
        EXPECT_THAT(r.types[i].error, HasSubstr("not attempted")) << r.types[i].resource_type;
    EXPECT_EQ(transport_.urls.size(), 1u);
    EXPECT_EQ(cache_.count("Slot"), 3);
}

// ---- Unit level: scripted answers ------------------------------------------------------------------------

// A tiny FHIR search over scripted resources: _count, _offset, _sort=_lastUpdated, _lastUpdated=ge|gt, _id,
// _summary=count; absolute next links. Start/window parameters are accepted and ignored.
struct MiniFhir {
    std::string base = "http://his.test/fhir/R4";
    std::map<std::string, std::vector<json>> data;
    bool sorts = true;

    static std::string decode(const std::string& v) {
        std::string out;
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (v[i] == '%' && i + 2 < v.size()) {
                out += static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16));
                i += 2;
            } else {
                out += v[i];
            }
        }
        return out;
    }

    void add(const std::string& type, const std::string& id, const std::string& updated) {
        data[type].push_back({{"resourceType", type}, {"id", id}, {"meta", {{"lastUpdated", updated}}}});
    }

    his::HttpResponse operator()(const his::HttpRequest& req) {
        const std::string rest = req.url.substr(base.size() + 1);
        const auto q = rest.find('?');
        const std::string type = rest.substr(0, q);
        std::map<std::string, std::string> params;
        std::string without_offset;
        std::size_t at = q + 1;
        while (q != std::string::npos && at <= rest.size()) {
            const auto end = std::min(rest.find('&', at), rest.size());
            const std::string kv = rest.substr(at, end - at);
            const auto eq = kv.find('=');
            const std::string key = kv.substr(0, eq);
            params[key] = decode(kv.substr(eq + 1));
            if (key != "_offset") without_offset += (without_offset.empty() ? "" : "&") + kv;
            at = end + 1;
        }
        std::vector<json> match;
        for (const auto& r : data[type]) {
            const std::string updated = r["meta"]["lastUpdated"];
            if (params.count("_lastUpdated")) {
                const std::string& v = params["_lastUpdated"];
                const std::string bound = v.substr(2);
                if (v.rfind("ge", 0) == 0 ? updated < bound : updated <= bound) continue; // ge or gt
            }
            if (params.count("_id") &&
                ("," + params["_id"] + ",").find("," + r["id"].get<std::string>() + ",") == std::string::npos)
                continue;
            match.push_back(r);
        }
        if (sorts && params.count("_sort"))
            std::stable_sort(match.begin(), match.end(), [](const json& a, const json& b) {
                return a["meta"]["lastUpdated"].get<std::string>() <
                       b["meta"]["lastUpdated"].get<std::string>();
            });
        json bundle = {{"resourceType", "Bundle"}, {"type", "searchset"}, {"total", match.size()}};
        if (params.count("_summary")) return test::http(200, bundle.dump());
        const std::size_t count = params.count("_count") ? std::stoul(params["_count"]) : 20;
        const std::size_t offset = params.count("_offset") ? std::stoul(params["_offset"]) : 0;
        bundle["entry"] = json::array();
        for (std::size_t i = offset; i < std::min(match.size(), offset + count); ++i)
            bundle["entry"].push_back({{"resource", match[i]}, {"search", {{"mode", "match"}}}});
        if (offset + count < match.size())
            bundle["link"] = {{{"relation", "next"},
                               {"url", base + "/" + type + "?" + without_offset +
                                           "&_offset=" + std::to_string(offset + count)}}};
        return test::http(200, bundle.dump());
    }
};

struct UnitKiosk {
    test::TempDir dir;
    store::Database db = store::Database::open(dir / "kiosk.db");
    store::ReferenceCache cache{db};
    test::FakeTransport transport;
    MiniFhir fhir;
    const core::UnixMillis now = 1795480200000; // 2026-11-24T00:30:00Z

    UnitKiosk() {
        transport.handler = [this](const his::HttpRequest& r) { return fhir(r); };
    }
    sync::ReferenceDownloadSettings only(const std::string& type, int page_size = 2) {
        sync::ReferenceDownloadSettings s;
        s.resource_types = {type};
        s.page_size = page_size;
        return s;
    }
};

TEST(ReferenceDownloadUnit, CursorWithAnOffsetIsFullyEncodedAndTheSlotWindowIsInUtcDays) {
    UnitKiosk k;
    k.fhir.add("Slot", "s1", "2026-11-24T08:37:06.724+07:00");
    sync::ReferenceDownloader dl(k.transport, k.fhir.base + "/", k.db, k.only("Slot", 50));
    ASSERT_TRUE(dl.run_once(k.now).ok());
    EXPECT_EQ(k.cache.cursor("Slot"), "2026-11-24T08:37:06.724+07:00");
    ASSERT_FALSE(k.transport.requests.empty());
    EXPECT_EQ(
        k.transport.requests.front().url,
        "http://his.test/fhir/R4/Slot?_count=50&_sort=_lastUpdated&start=ge2026-11-23&start=lt2026-12-10");
    EXPECT_EQ(k.transport.requests.front().method, "GET");
    EXPECT_EQ(k.transport.requests.front().headers.at("Accept"), "application/fhir+json");

    k.transport.requests.clear();
    ASSERT_TRUE(dl.run_once(k.now + 60'000).ok());
    ASSERT_FALSE(k.transport.requests.empty());
    EXPECT_EQ(k.transport.requests.front().url,
              "http://his.test/fhir/R4/"
              "Slot?_count=50&_sort=_lastUpdated&_lastUpdated=ge2026-11-24T08%3A37%3A06.724%2B07%3A00"
              "&start=ge2026-11-23&start=lt2026-12-10");
}

TEST(ReferenceDownloadUnit, TimestampsSharedAcrossAPageBoundaryAreNotLost) {
    UnitKiosk k;
    // Five resources in the same millisecond, two per page: only the server's next link gets past them.
    for (const char* id : {"a", "b", "c", "d", "e"})
        k.fhir.add("Practitioner", id, "2026-11-24T01:00:00.000Z");
    k.fhir.add("Practitioner", "f", "2026-11-24T01:00:00.001Z");
    sync::ReferenceDownloader dl(k.transport, k.fhir.base, k.db, k.only("Practitioner", 2));
    const auto r = dl.run_once(k.now);
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.types[0].fetched, 6);
    EXPECT_EQ(k.cache.count("Practitioner"), 6);
    EXPECT_EQ(k.cache.cursor("Practitioner"), "2026-11-24T01:00:00.001Z");

    // Incremental: two more in one millisecond, one of them sharing the cursor's.
    k.fhir.add("Practitioner", "g", "2026-11-24T01:00:00.001Z");
    k.fhir.add("Practitioner", "h", "2026-11-24T01:00:00.002Z");
    const auto r2 = dl.run_once(k.now + 60'000);
    ASSERT_TRUE(r2.ok()) << describe(r2);
    EXPECT_EQ(r2.types[0].fetched, 2);
    EXPECT_EQ(r2.types[0].unchanged, 1) << "f, received again at the boundary";
    EXPECT_EQ(k.cache.count("Practitioner"), 8);
    EXPECT_EQ(k.cache.cursor("Practitioner"), "2026-11-24T01:00:00.002Z");
}

TEST(ReferenceDownloadUnit, UnsortedServerCommitsTheCursorOnlyAfterTheLastPage) {
    UnitKiosk k;
    k.fhir.sorts = false;
    k.fhir.add("Organization", "late", "2026-11-24T03:00:00.000Z");
    k.fhir.add("Organization", "early", "2026-11-24T01:00:00.000Z");
    k.fhir.add("Organization", "mid", "2026-11-24T02:00:00.000Z");
    sync::ReferenceDownloader dl(k.transport, k.fhir.base, k.db, k.only("Organization", 3));
    ASSERT_TRUE(dl.run_once(k.now).ok()); // first download: a full scan
    ASSERT_EQ(k.cache.count("Organization"), 3);
    EXPECT_EQ(k.cache.cursor("Organization"), "2026-11-24T03:00:00.000Z");

    // Incremental over an unsorted result (03, 06, 04 | 05) whose second page breaks: the first page is
    // stored, but the cursor (06 would skip the 05 on the broken page) stays.
    k.fhir.add("Organization", "n6", "2026-11-24T06:00:00.000Z");
    k.fhir.add("Organization", "n4", "2026-11-24T04:00:00.000Z");
    k.fhir.add("Organization", "n5", "2026-11-24T05:00:00.000Z");
    int calls = 0;
    k.transport.handler = [&](const his::HttpRequest& r) {
        if (++calls == 2) return test::http(200, "garbage");
        return k.fhir(r);
    };
    const auto r = dl.run_once(k.now + 60'000);
    EXPECT_THAT(r.types[0].error, HasSubstr("malformed"));
    EXPECT_TRUE(k.cache.find("Organization", "n6"));
    EXPECT_TRUE(k.cache.find("Organization", "n4"));
    EXPECT_FALSE(k.cache.find("Organization", "n5"));
    EXPECT_EQ(k.cache.cursor("Organization"), "2026-11-24T03:00:00.000Z");

    k.transport.handler = [&](const his::HttpRequest& req) { return k.fhir(req); };
    const auto r2 = dl.run_once(k.now + 120'000);
    ASSERT_TRUE(r2.ok()) << describe(r2);
    EXPECT_TRUE(k.cache.find("Organization", "n5"));
    EXPECT_EQ(k.cache.count("Organization"), 6);
    EXPECT_EQ(k.cache.cursor("Organization"), "2026-11-24T06:00:00.000Z");
}

TEST(ReferenceDownloadUnit, PagesPerRunAreBoundedAndTheNextRunContinues) {
    UnitKiosk k;
    k.fhir.add("Schedule", "s0", "2026-11-24T00:00:00.000Z");
    auto settings = k.only("Schedule", 3);
    settings.max_pages_per_type = 2;
    sync::ReferenceDownloader dl(k.transport, k.fhir.base, k.db, settings);
    ASSERT_TRUE(dl.run_once(k.now).ok());
    for (int i = 1; i <= 12; ++i) {
        char ts[32];
        std::snprintf(ts, sizeof ts, "2026-11-24T00:%02d:00.000Z", i);
        k.fhir.add("Schedule", "s" + std::to_string(i), ts);
    }
    k.transport.requests.clear();
    const auto r = dl.run_once(k.now + 60'000);
    EXPECT_THAT(r.types[0].error, HasSubstr("max_pages_per_type"));
    EXPECT_EQ(k.transport.requests.size(), 2u);
    const auto stored = k.cache.count("Schedule");
    EXPECT_GT(stored, 1);
    EXPECT_LT(stored, 13);
    for (int run = 2; run < 10 && k.cache.count("Schedule") < 13; ++run)
        (void)dl.run_once(k.now + run * 60'000);
    EXPECT_EQ(k.cache.count("Schedule"), 13);
    EXPECT_EQ(k.cache.cursor("Schedule"), "2026-11-24T00:12:00.000Z");
}

// meta.lastUpdated of the i-th scripted resource: one minute apart from 2026-11-24T00:00Z.
std::string minute_stamp(int i) {
    char ts[64]; // room for any int: GCC checks the format against the whole range (-Wformat-truncation)
    std::snprintf(ts, sizeof ts, "2026-11-24T%02d:%02d:00.000Z", i / 60, i % 60);
    return ts;
}

std::vector<std::string> server_ids(const MiniFhir& fhir, const std::string& type) {
    std::vector<std::string> ids;
    for (const auto& r : fhir.data.at(type))
        ids.push_back(r["id"]);
    std::sort(ids.begin(), ids.end());
    return ids;
}

std::size_t count_with(const std::vector<his::HttpRequest>& requests, const std::string& part) {
    return static_cast<std::size_t>(std::count_if(requests.begin(), requests.end(), [&](const auto& r) {
        return r.url.find(part) != std::string::npos;
    }));
}

TEST(ReferenceDownloadUnit, FullScanLargerThanTheRequestLimitContinuesInTheNextRun) {
    UnitKiosk k;
    for (int i = 0; i < 12; ++i)
        k.fhir.add("Schedule", "s" + std::to_string(i), minute_stamp(i));
    auto settings = k.only("Schedule", 3);
    settings.max_pages_per_type =
        2; // the first download is a full scan of 6 keyset pages (3, then 2 new each)
    sync::ReferenceDownloader dl(k.transport, k.fhir.base, k.db, settings);
    const auto r = dl.run_once(k.now);
    ASSERT_TRUE(r.types[0].full_scan);
    EXPECT_EQ(r.types[0].full_scan_reason, "first download");
    EXPECT_THAT(r.types[0].error,
                AllOf(HasSubstr("max_pages_per_type"),
                      HasSubstr("the full scan continues in the next run (5 of ~12 seen so far)")));
    EXPECT_THAT(r.types[0].error, Not(HasSubstr("cannot finish")));
    EXPECT_EQ(k.cache.count("Schedule"), 5);
    EXPECT_EQ(k.cache.reconciled_at("Schedule"), std::nullopt);
    EXPECT_EQ(k.cache.cursor("Schedule"), std::nullopt);

    const auto r2 = dl.run_once(k.now + 60'000);
    EXPECT_TRUE(r2.types[0].full_scan);
    EXPECT_EQ(r2.types[0].full_scan_reason, "first download");
    EXPECT_THAT(r2.types[0].error, HasSubstr("(9 of ~12 seen so far)"));
    EXPECT_EQ(k.cache.reconciled_at("Schedule"), std::nullopt);

    const auto r3 = dl.run_once(k.now + 120'000);
    ASSERT_TRUE(r3.ok()) << describe(r3);
    EXPECT_TRUE(r3.types[0].full_scan);
    EXPECT_EQ(r3.types[0].pages, 2);
    EXPECT_EQ(k.cache.ids("Schedule"), server_ids(k.fhir, "Schedule"));
    EXPECT_EQ(k.cache.reconciled_at("Schedule"), k.now + 120'000);
    EXPECT_EQ(k.cache.cursor("Schedule"), minute_stamp(11));
    EXPECT_EQ(k.cache.scan("Schedule"), std::nullopt);
    EXPECT_EQ(k.transport.requests.size(), 6u) << "every page once: nothing started over";
}

TEST(ReferenceDownloadUnit, LargeFirstDownloadCompletesOverSeveralRunsAndEqualsTheServer) {
    UnitKiosk k;
    for (int i = 0; i < 200; ++i)
        k.fhir.add("Slot", "slot-" + std::to_string(i), minute_stamp(i / 2)); // two per minute
    auto settings = k.only("Slot", 10);
    settings.max_pages_per_type = 4;
    sync::ReferenceDownloader dl(k.transport, k.fhir.base, k.db, settings);
    int runs = 0;
    std::int64_t before = 0;
    core::UnixMillis at = k.now;
    for (; runs < 40; ++runs, at += 60'000) {
        const auto r = dl.run_once(at);
        ASSERT_TRUE(r.types[0].full_scan);
        EXPECT_EQ(r.types[0].full_scan_reason, "first download");
        if (r.ok()) break;
        EXPECT_THAT(r.types[0].error, HasSubstr("the full scan continues in the next run"));
        EXPECT_THAT(r.types[0].error, HasSubstr(" of ~200 seen so far"));
        EXPECT_EQ(k.cache.reconciled_at("Slot"), std::nullopt) << "run " << runs;
        EXPECT_GT(k.cache.count("Slot"), before) << "every run gets further, run " << runs;
        before = k.cache.count("Slot");
    }
    EXPECT_GE(runs, 5);
    EXPECT_LT(runs, 40);
    EXPECT_EQ(k.cache.count("Slot"), 200);
    EXPECT_EQ(k.cache.ids("Slot"), server_ids(k.fhir, "Slot"));
    EXPECT_EQ(k.cache.reconciled_at("Slot"), at);
    EXPECT_EQ(k.cache.cursor("Slot"), minute_stamp(99));
    EXPECT_EQ(count_with(k.transport.requests, "_id="), 0u);

    // From now on incremental, as before.
    k.transport.requests.clear();
    const auto next = dl.run_once(at + 60'000);
    ASSERT_TRUE(next.ok()) << describe(next);
    EXPECT_FALSE(next.types[0].full_scan);
    EXPECT_EQ(next.types[0].fetched, 0);
}

TEST(ReferenceDownloadUnit, ResumableReconciliationRemovesWhatWasDeletedHalfWayAndKeepsTheUnchanged) {
    UnitKiosk k;
    for (int i = 0; i < 30; ++i)
        k.fhir.add("Practitioner", "p" + std::to_string(i), minute_stamp(i));
    sync::ReferenceDownloader first(k.transport, k.fhir.base, k.db, k.only("Practitioner", 5));
    ASSERT_TRUE(first.run_once(k.now).ok());
    ASSERT_EQ(k.cache.count("Practitioner"), 30);

    // Seven hours later: a periodic reconciliation, 3 requests a run.
    auto settings = k.only("Practitioner", 5);
    settings.max_pages_per_type = 3;
    sync::ReferenceDownloader dl(k.transport, k.fhir.base, k.db, settings);
    const core::UnixMillis later = k.now + 7 * kHour;
    const auto r1 = dl.run_once(later);
    EXPECT_TRUE(r1.types[0].full_scan);
    EXPECT_EQ(r1.types[0].full_scan_reason, "periodic reconciliation");
    EXPECT_THAT(r1.types[0].error, HasSubstr("(13 of ~30 seen so far)"));
    EXPECT_EQ(r1.types[0].unchanged, 13);
    EXPECT_EQ(r1.types[0].fetched, 0);

    // Half-way: p25 (not reached yet) is deleted, p3 (already seen) changes.
    auto& data = k.fhir.data["Practitioner"];
    data.erase(std::find_if(data.begin(), data.end(), [](const json& r) { return r["id"] == "p25"; }));
    auto p3 = std::find_if(data.begin(), data.end(), [](const json& r) { return r["id"] == "p3"; });
    (*p3)["meta"]["lastUpdated"] = minute_stamp(40);
    (*p3)["active"] = false;
    std::rotate(p3, p3 + 1, data.end()); // the server keeps its own order: the newest last

    k.transport.requests.clear();
    int runs = 0;
    int removed = 0;
    sync::DownloadResult last;
    for (core::UnixMillis at = later + kMinute; runs < 10; ++runs, at += kMinute) {
        last = dl.run_once(at);
        ASSERT_TRUE(last.types[0].full_scan) << describe(last);
        removed += last.types[0].removed;
        if (runs == 0) {
            // The changes since the last run come first, ahead of the scan.
            EXPECT_EQ(last.types[0].fetched, 1);
            EXPECT_EQ(k.cache.find("Practitioner", "p3")->status, "inactive");
            EXPECT_EQ(removed, 0);
        }
        if (last.ok()) break;
        EXPECT_EQ(k.cache.reconciled_at("Practitioner"), k.now) << "set only when the scan ends";
    }
    ASSERT_TRUE(last.ok()) << describe(last);
    EXPECT_EQ(removed, 1);
    EXPECT_EQ(last.types[0].removed, 1) << "at the end of the scan";
    EXPECT_EQ(k.cache.find("Practitioner", "p25"), std::nullopt);
    EXPECT_EQ(k.cache.count("Practitioner"), 29);
    EXPECT_EQ(k.cache.ids("Practitioner"), server_ids(k.fhir, "Practitioner")) << "the unchanged ones stay";
    EXPECT_GT(k.cache.reconciled_at("Practitioner"), later);
    EXPECT_EQ(k.cache.cursor("Practitioner"), minute_stamp(40));
    // Only the one id the scan did not receive was asked for.
    EXPECT_EQ(count_with(k.transport.requests, "_id="), 1u);
    EXPECT_EQ(count_with(k.transport.requests, "_id=p25&"), 1u);
}

TEST(ReferenceDownloadUnit, RestartBetweenRunsResumesTheScanInsteadOfStartingOver) {
    UnitKiosk k;
    for (int i = 0; i < 12; ++i)
        k.fhir.add("Schedule", "s" + std::to_string(i), minute_stamp(i));
    auto settings = k.only("Schedule", 3);
    settings.max_pages_per_type = 2;
    const auto file = k.dir / "restarted.db";
    std::vector<std::string> outcomes;
    for (int run = 0; run < 3; ++run) {
        // A new process each run: database reopened, a new downloader.
        auto db = store::Database::open(file);
        sync::ReferenceDownloader dl(k.transport, k.fhir.base, db, settings);
        const auto r = dl.run_once(k.now + run * kMinute);
        outcomes.push_back(r.types[0].error);
        EXPECT_EQ(r.types[0].full_scan_reason, "first download");
    }
    EXPECT_THAT(outcomes[0], HasSubstr("continues in the next run"));
    EXPECT_THAT(outcomes[1], HasSubstr("continues in the next run"));
    EXPECT_EQ(outcomes[2], "");
    // 6 keyset pages in all, the same as one run without a limit would send.
    EXPECT_EQ(k.transport.requests.size(), 6u);
    EXPECT_EQ(count_with(k.transport.requests, "_lastUpdated=ge"), 5u) << "one start from the beginning";
    auto db = store::Database::open(file);
    store::ReferenceCache cache(db);
    EXPECT_EQ(cache.ids("Schedule"), server_ids(k.fhir, "Schedule"));
    EXPECT_EQ(cache.reconciled_at("Schedule"), k.now + 2 * kMinute);
}

TEST(ReferenceDownloadUnit, OldOrResetScanStartsOver) {
    UnitKiosk k;
    for (int i = 0; i < 12; ++i)
        k.fhir.add("Schedule", "s" + std::to_string(i), minute_stamp(i));
    auto settings = k.only("Schedule", 3);
    settings.max_pages_per_type = 2;
    sync::ReferenceDownloader dl(k.transport, k.fhir.base, k.db, settings);
    ASSERT_FALSE(dl.run_once(k.now).ok());
    const auto first = k.cache.scan("Schedule");
    ASSERT_TRUE(first);
    EXPECT_EQ(first->pages, 2);

    // Older than reconcile_every_ms: its marks are stale, it starts over from the beginning.
    k.transport.requests.clear();
    const core::UnixMillis late = k.now + settings.reconcile_every_ms + kMinute;
    const auto r = dl.run_once(late);
    EXPECT_THAT(r.types[0].full_scan_reason, AllOf(HasSubstr("first download"), HasSubstr("restarted")));
    ASSERT_FALSE(k.transport.requests.empty());
    EXPECT_THAT(k.transport.requests.front().url, Not(HasSubstr("_lastUpdated=ge")));
    const auto second = k.cache.scan("Schedule");
    ASSERT_TRUE(second);
    EXPECT_GT(second->scan_id, first->scan_id);
    EXPECT_EQ(second->started_at, late);
    EXPECT_EQ(second->pages, 2);
    EXPECT_THAT(r.types[0].error, HasSubstr("(5 of ~12 seen so far)")) << "the old marks do not count";

    // A reset drops the scan with the rows: the next run is a first download from the beginning.
    k.cache.reset("Schedule");
    EXPECT_EQ(k.cache.scan("Schedule"), std::nullopt);
    k.transport.requests.clear();
    const auto after_reset = dl.run_once(late + kMinute);
    EXPECT_EQ(after_reset.types[0].full_scan_reason, "first download");
    ASSERT_FALSE(k.transport.requests.empty());
    EXPECT_THAT(k.transport.requests.front().url, Not(HasSubstr("_lastUpdated=ge")));
    EXPECT_GT(k.cache.scan("Schedule")->scan_id, second->scan_id);
    for (int run = 2; run < 6 && !k.cache.reconciled_at("Schedule"); ++run)
        (void)dl.run_once(late + run * kMinute);
    EXPECT_EQ(k.cache.ids("Schedule"), server_ids(k.fhir, "Schedule"));
    EXPECT_EQ(k.cache.scan("Schedule"), std::nullopt);
}

TEST(ReferenceDownloadUnit, ResourceMissedByAFullScanIsAskedForByIdBeforeItIsRemoved) {
    UnitKiosk k;
    for (const char* id : {"a", "b", "c"})
        k.fhir.add("Practitioner", id,
                   std::string("2026-11-24T00:00:0") + static_cast<char>('0' + id[0] - 'a') + ".000Z");
    sync::ReferenceDownloader dl(k.transport, k.fhir.base, k.db, k.only("Practitioner", 2));
    ASSERT_TRUE(dl.run_once(k.now).ok());
    ASSERT_EQ(k.cache.count("Practitioner"), 3);

    // c is deleted; b slips through the scan's pages (as when an update shifts offset pages) but exists.
    k.fhir.data["Practitioner"].pop_back();
    k.transport.handler = [&](const his::HttpRequest& req) {
        auto res = k.fhir(req);
        if (req.url.find("_id=") != std::string::npos) return res;
        json bundle = json::parse(res.body);
        json kept = json::array();
        for (const auto& e : bundle.value("entry", json::array()))
            if (e["resource"]["id"] != "b") kept.push_back(e);
        bundle["entry"] = kept;
        res.body = bundle.dump();
        return res;
    };
    k.transport.requests.clear();
    const auto r = dl.run_once(k.now + 7 * 3'600'000);
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_TRUE(r.types[0].full_scan);
    EXPECT_EQ(r.types[0].removed, 1);
    EXPECT_TRUE(k.cache.find("Practitioner", "b"));
    EXPECT_FALSE(k.cache.find("Practitioner", "c"));
    ASSERT_FALSE(k.transport.requests.empty());
    EXPECT_THAT(k.transport.requests.back().url, HasSubstr("/Practitioner?_id=b%2Cc&_count=2"));
}

TEST(ReferenceDownloadUnit, ServerErrorsAreReportedPerTypeAndTheOthersGoOn) {
    UnitKiosk k;
    k.fhir.add("Organization", "o", "2026-11-24T00:00:00.000Z");
    k.fhir.add("Location", "l", "2026-11-24T00:00:00.000Z");
    k.transport.handler = [&](const his::HttpRequest& r) {
        if (r.url.find("/Organization?") != std::string::npos)
            return test::http(
                503, R"({"resourceType":"OperationOutcome","issue":[{"diagnostics":"maintenance"}]})");
        if (r.url.find("/Location?") != std::string::npos) {
            auto res = k.fhir(r);
            json b = json::parse(res.body);
            b["link"] = {{{"relation", "next"}, {"url", "http://evil.example/fhir/R4/Location?_offset=9"}}};
            res.body = b.dump();
            return res;
        }
        return k.fhir(r);
    };
    sync::ReferenceDownloadSettings s;
    s.resource_types = {"Organization", "Location", "Practitioner", "Bad/Type"};
    sync::ReferenceDownloader dl(k.transport, k.fhir.base, k.db, s);
    const auto r = dl.run_once(k.now);
    EXPECT_FALSE(r.ok());
    EXPECT_THAT(r.types[0].error, AllOf(HasSubstr("HTTP 503"), HasSubstr("maintenance")));
    EXPECT_THAT(r.types[1].error, HasSubstr("the next link leaves http://his.test"));
    EXPECT_EQ(k.cache.count("Location"), 0);
    EXPECT_TRUE(r.types[2].ok()) << r.types[2].error;
    EXPECT_THAT(r.types[3].error, HasSubstr("not a FHIR resource type"));
}

TEST(ReferenceDownloadUnit, ResourcesMapToRows) {
    std::string why;
    const json slot = {{"resourceType", "Slot"},
                       {"id", "s-1"},
                       {"meta", {{"versionId", "v9"}, {"lastUpdated", "2026-11-24T01:02:03.456Z"}}},
                       {"schedule", {{"reference", "https://his.example.vn/fhir/R4/Schedule/42/_history/3"}}},
                       {"status", "entered-in-error"},
                       {"start", "2026-11-25T08:00:00+07:00"},
                       {"end", "2026-11-25T08:15:00+07:00"}};
    const auto row = sync::to_reference_row("Slot", slot, why);
    ASSERT_TRUE(row) << why;
    EXPECT_EQ(row->resource_type, "Slot");
    EXPECT_EQ(row->id, "s-1");
    EXPECT_EQ(row->version_id, "v9");
    EXPECT_EQ(row->last_updated, "2026-11-24T01:02:03.456Z");
    EXPECT_EQ(row->status, "entered-in-error") << "kept with its status; the booking screens filter";
    EXPECT_EQ(row->starts_at, "2026-11-25T08:00:00+07:00");
    EXPECT_EQ(row->ends_at, "2026-11-25T08:15:00+07:00");
    EXPECT_EQ(row->parent_ref, "Schedule/42");
    EXPECT_EQ(json::parse(row->json), slot);

    const json org = {{"resourceType", "Organization"},
                      {"id", "o"},
                      {"active", false},
                      {"status", 7},
                      {"partOf", {{"reference", "Organization/root"}}},
                      {"meta", {{"lastUpdated", "2026-11-24T01:02:03Z"}}}};
    EXPECT_EQ(sync::to_reference_row("Organization", org, why)->status, "inactive");
    EXPECT_EQ(sync::to_reference_row("Organization", org, why)->parent_ref, "Organization/root");
    EXPECT_EQ(sync::to_reference_row("Organization", org, why)->version_id, "");

    EXPECT_FALSE(sync::to_reference_row("Slot", org, why));
    EXPECT_THAT(why, HasSubstr("'Organization' where a Slot was expected"));
    json bad = org;
    bad["id"] = "has space";
    EXPECT_FALSE(sync::to_reference_row("Organization", bad, why));
    EXPECT_THAT(why, HasSubstr("invalid id"));
    bad = org;
    bad.erase("meta");
    EXPECT_FALSE(sync::to_reference_row("Organization", bad, why));
    EXPECT_THAT(why, HasSubstr("no meta.lastUpdated"));
    EXPECT_FALSE(sync::to_reference_row("Organization", json::array(), why));
}

} // namespace
