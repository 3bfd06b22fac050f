// sync_bench: the HIS sync against a real FHIR R4 server (tests/fhir-server), both directions.
//   1. Upload: the kiosk drains its outbox, batched vs one request per record, at several emulated network
//      round trips (loopback, then hospital-WAN-like latencies), each run checked exactly once on the server.
//   2. Download: sync::ReferenceDownloader fetches 50,000 Slots (and their Schedules) into an empty cache,
//      then incrementally after some slots changed and some were deleted.
//   3. Upload latency while a download runs: a ticket stored every --upload-interval ms during a first
//      download of those Slots, record stored -> HIS acknowledged, p50/p99, with the sync as it was before
//      issue 9 (one thread, reproduced here) and as it is (sync::SyncWorker: uploads on their own thread).
// A benchmark, not a test: it exits 0 whenever it could measure, whatever the figures (1 only when a
// measurement could not be taken at all, e.g. node or the test server is missing).
//
//   sync_bench [--dir DIR] [--records N] [--batch N] [--latencies MS,MS,...] [--wan-single-records N]
//              [--single-budget S] [--slots N] [--slot-latency MS] [--upload-interval MS] [--no-drain]
//     --dir                 where its temporary directory goes (default: $TMPDIR or /tmp); the SQLite files
//                           live there, so a real disk gives the kiosk's real fsync costs. Removed at exit.
//     --records             outbox records per drain run (default 10000)
//     --batch               records per batch Bundle in the batched runs (default 100)
//     --latencies           emulated network round trips, in ms, one drain pair each (default 0,5,20)
//     --wan-single-records  records of the one-request-per-record runs at a latency > 0 (default 2000; each
//                           record waits a full round trip, so 10,000 at 20 ms alone take 3.5 min)
//     --single-budget       seconds a one-request-per-record run may take (default 300); past it the run
//                           stops and its rate is taken from what it delivered (said so)
//     --slots               Slots in the download part (default 50000; 0 skips it)
//     --slot-latency        also time the first download at this round trip (default 20; 0 skips it), and
//                           the round trip of part 3 (0: part 3 at 20 ms)
//     --upload-interval     ms between the tickets stored in part 3 (default 500)
//     --no-drain            skip part 1
//
// Network latency is emulated by the server: POST /admin/latency?ms=N (server.js --latency-ms) holds every
// response N ms after it is ready, so each request/response exchange costs N ms more, as a round trip over
// a WAN or VPN does. Bandwidth is not limited. The round trip actually seen is measured (GET /healthz) and
// printed with every row.
//
// The path is the production one end to end. Upload: tickets issued with store::TicketStore into a real
// SQLite file (store::Database::open: WAL, synchronous=FULL), drained by sync::SyncEngine over his::FhirHis
// over his::CurlTransport. Download: sync::ReferenceDownloader (default settings) over his::CurlTransport
// into store::ReferenceCache in its own SQLite file. The server (node + Medplum, in memory, one request at a
// time) is started here on a free port of 127.0.0.1 and reset (POST /admin/reset) before every part.
#include "bench_support.hpp"
#include "kiosk/core/clock.hpp"
#include "kiosk/core/site.hpp"
#include "kiosk/his/curl_transport.hpp"
#include "kiosk/his/fhir_his.hpp"
#include "kiosk/his/fhir_mapping.hpp"
#include "kiosk/store/database.hpp"
#include "kiosk/store/outbox.hpp"
#include "kiosk/store/reference_cache.hpp"
#include "kiosk/store/ticket_store.hpp"
#include "kiosk/sync/reference_download.hpp"
#include "kiosk/sync/sync_engine.hpp"
#include "kiosk/sync/sync_worker.hpp"

#include "fhir_server.hpp" // tests/his: spawns `node tests/fhir-server/server.js --port 0`

#include <nlohmann/json.hpp>

#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using kiosk::bench::cpu_model;
using kiosk::bench::fmt;
using kiosk::bench::fs_type;
using kiosk::bench::now_text;
using kiosk::bench::TempDir;

namespace fs = std::filesystem;
using namespace kiosk;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

double seconds_between(Steady::time_point a, Steady::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

void progress(const std::string& what) {
    std::fprintf(stderr, "sync_bench: %s...\n", what.c_str());
}

// --- machine ------------------------------------------------------------------------------------------

// First line a command prints, "" if it cannot run.
std::string first_line_of(const char* command) {
    std::string out;
    if (FILE* p = ::popen(command, "r")) {
        char buf[256];
        if (std::fgets(buf, sizeof buf, p)) out = buf;
        ::pclose(p);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
        out.pop_back();
    return out;
}

// A "VmRSS:"/"VmHWM:" line of /proc/self/status, in kB (-1 if unknown).
long proc_status_kb(const char* key) {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key, 0) == 0) return std::strtol(line.c_str() + std::strlen(key), nullptr, 10);
    return -1;
}

// Resets VmHWM (the peak RSS) to the current RSS (Linux >= 4.0); false if it could not.
bool reset_peak_rss() {
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
    return static_cast<bool>(out.flush());
}

// --- HTTP helpers -------------------------------------------------------------------------------------

his::TransportOptions transport_options() {
    his::TransportOptions o;
    o.connect_timeout = std::chrono::milliseconds(2000);
    o.total_timeout = std::chrono::milliseconds(120000);
    o.max_response_bytes = 64u * 1024u * 1024u; // the bench's own full listings (_count=1000)
    o.user_agent = "kiosk-sync-bench";
    return o;
}

// Counts what goes over the wire and the time spent waiting for it (the engine and the downloader do not
// say how many requests they made).
class CountingTransport final : public his::HttpTransport {
public:
    explicit CountingTransport(his::HttpTransport& inner) : inner_(inner) {}
    his::HttpResponse send(const his::HttpRequest& request) override {
        ++requests_;
        bytes_sent_ += request.body.size();
        const auto t0 = Steady::now();
        auto response = inner_.send(request);
        waiting_s_ += seconds_between(t0, Steady::now());
        bytes_received_ += response.body.size();
        return response;
    }
    [[nodiscard]] long requests() const { return requests_; }
    [[nodiscard]] std::size_t bytes_sent() const { return bytes_sent_; }
    [[nodiscard]] std::size_t bytes_received() const { return bytes_received_; }
    [[nodiscard]] double waiting_s() const { return waiting_s_; }

private:
    his::HttpTransport& inner_;
    long requests_ = 0;
    std::size_t bytes_sent_ = 0;
    std::size_t bytes_received_ = 0;
    double waiting_s_ = 0;
};

// Past its deadline it answers "retry later" without sending, so the engine stops where it is.
class BudgetedHis final : public his::HisPort {
public:
    explicit BudgetedHis(his::HisPort& inner) : inner_(inner) {}
    void start(std::chrono::seconds budget) { deadline_ = Steady::now() + budget; }
    std::vector<his::DeliveryResult> deliver(const std::vector<core::OutboundRecord>& entries) override {
        if (Steady::now() >= deadline_) {
            exceeded_ = true;
            return std::vector<his::DeliveryResult>(
                entries.size(), his::DeliveryResult{his::Delivery::RetryLater, "time budget used up", {}});
        }
        return inner_.deliver(entries);
    }
    [[nodiscard]] bool exceeded() const { return exceeded_; }

private:
    his::HisPort& inner_;
    Steady::time_point deadline_ = Steady::time_point::max();
    bool exceeded_ = false;
};

his::HttpResponse checked(his::HttpTransport& t, his::HttpRequest request) {
    request.headers.emplace("Accept", "application/fhir+json");
    if (!request.body.empty()) request.headers.emplace("Content-Type", "application/fhir+json");
    auto r = t.send(request);
    if (!r.ok())
        throw std::runtime_error(request.method + " " + request.url + " failed: HTTP " +
                                 std::to_string(r.status) + " " + r.error_detail + " " +
                                 r.body.substr(0, 300));
    return r;
}

json get_json(his::HttpTransport& t, const std::string& url) {
    return json::parse(checked(t, his::HttpRequest{"GET", url, {}, ""}).body);
}

// "http://127.0.0.1:PORT/fhir/R4" -> "http://127.0.0.1:PORT"
std::string origin_of(const std::string& base) {
    const auto path_at = base.find('/', base.find("://") + 3);
    return base.substr(0, path_at);
}

void reset_server(his::HttpTransport& t, const std::string& base) {
    checked(t, his::HttpRequest{"POST", origin_of(base) + "/admin/reset", {}, ""});
}

void set_latency(const std::string& base, int ms) {
    his::CurlTransport t(transport_options());
    checked(t, his::HttpRequest{"POST", origin_of(base) + "/admin/latency?ms=" + std::to_string(ms), {}, ""});
}

// Median wall time of GET /healthz over one keep-alive connection: the HTTP round trip with no FHIR work.
double median_round_trip_ms(const std::string& base, int n) {
    his::CurlTransport t(transport_options());
    const std::string url = origin_of(base) + "/healthz";
    std::vector<double> ms;
    for (int i = 0; i < n + 5; ++i) {
        const auto t0 = Steady::now();
        const auto r = t.send(his::HttpRequest{"GET", url, {}, ""});
        const auto t1 = Steady::now();
        if (!r.ok()) throw std::runtime_error("GET /healthz failed");
        if (i >= 5) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count()); // 5 warm-ups
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

// Every resource of a search, following next links (for the bench's own checks; no writes meanwhile).
std::vector<json> get_all(his::HttpTransport& t, std::string url) {
    std::vector<json> out;
    for (int pages = 0; !url.empty() && pages < 10000; ++pages) {
        const auto bundle = get_json(t, url);
        for (const auto& e : bundle.value("entry", json::array()))
            out.push_back(e["resource"]);
        url.clear();
        for (const auto& link : bundle.value("link", json::array()))
            if (link.value("relation", "") == "next") url = link.value("url", "");
    }
    return out;
}

// POSTs a batch Bundle; returns its response entries, checking each entry's status starts with `expect`.
json post_batch(his::HttpTransport& t, const std::string& base, json entries, std::string_view expect) {
    const auto n = entries.size();
    const json bundle = {{"resourceType", "Bundle"}, {"type", "batch"}, {"entry", std::move(entries)}};
    const auto reply = json::parse(checked(t, his::HttpRequest{"POST", base, {}, bundle.dump()}).body);
    const auto& out = reply.at("entry");
    if (out.size() != n)
        throw std::runtime_error("batch: " + std::to_string(out.size()) + " response entries");
    for (const auto& e : out) {
        const std::string status = e.at("response").value("status", "");
        if (status.rfind(expect, 0) != 0)
            throw std::runtime_error("batch entry status " + status + ", expected " + std::string(expect) +
                                     ": " + e.dump().substr(0, 300));
    }
    return out;
}

// The id of a created resource in a batch-response entry.
std::string created_id(const json& entry) {
    if (entry.contains("resource") && entry["resource"].contains("id"))
        return entry["resource"]["id"].get<std::string>();
    const std::string location = entry.at("response").value("location", ""); // Type/id/_history/vid
    const auto slash = location.find('/');
    return location.substr(slash + 1, location.find('/', slash + 1) - slash - 1);
}

// --- 1. the outbox drain ------------------------------------------------------------------------------

struct Verification {
    long summary_total = -1; // _summary=count
    long entries = 0;        // entries over all pages
    long pages = 0;
    long distinct = 0;    // distinct identifier values of the site's ticket system
    long issued_once = 0; // issued references found exactly once
    long duplicates = 0;  // identifier values found more than once
    bool ok = false;
    std::string text;
};

// Each run its own identifier namespace, so runs sharing a server never count each other's records.
std::string identifier_base_of(const std::string& site) {
    return "https://kiosk-bench.test/" + site + "/fhir/sid/";
}

Verification verify(his::HttpTransport& t, const std::string& base, const std::string& site,
                    const std::vector<std::string>& issued) {
    Verification v;
    const std::string system = his::identifier_system(identifier_base_of(site), "ticket");
    const std::string query = base + "/Encounter?identifier=" + his::url_encode(system + "|");
    v.summary_total = get_json(t, query + "&_summary=count").value("total", -1L);

    std::map<std::string, int> seen;
    std::string url = query + "&_count=1000";
    for (; !url.empty() && v.pages < 1000; ++v.pages) {
        const auto bundle = get_json(t, url);
        for (const auto& e : bundle.value("entry", json::array())) {
            ++v.entries;
            for (const auto& id : e["resource"].value("identifier", json::array()))
                if (id.value("system", "") == system) ++seen[id.value("value", "")];
        }
        url.clear();
        for (const auto& link : bundle.value("link", json::array()))
            if (link.value("relation", "") == "next") url = link.value("url", "");
    }
    v.distinct = static_cast<long>(seen.size());
    for (const auto& [value, n] : seen)
        if (n > 1) ++v.duplicates;
    for (const auto& ref : issued) {
        const auto it = seen.find(ref);
        if (it != seen.end() && it->second == 1) ++v.issued_once;
    }
    const long n = static_cast<long>(issued.size());
    v.ok =
        v.summary_total == n && v.entries == n && v.distinct == n && v.issued_once == n && v.duplicates == 0;
    v.text = "Encounter?identifier=" + system + "| : _summary=count total " +
             std::to_string(v.summary_total) + "; " + std::to_string(v.pages) +
             " page(s) of _count=1000: " + std::to_string(v.entries) + " entries, " +
             std::to_string(v.distinct) + " distinct, " + std::to_string(v.duplicates) + " duplicated, " +
             std::to_string(v.issued_once) + "/" + std::to_string(n) + " issued exactly once -> " +
             (v.ok ? "OK" : "MISMATCH");
    return v;
}

struct Run {
    std::string site;
    int records = 0;
    int batch = 0;
    double issue_s = 0;
    double drain_s = 0;
    long requests = 0;
    std::size_t bytes_sent = 0;
    bool budget_exceeded = false;
    sync::SyncStatus status;
    std::int64_t delivered = 0;
    Verification verification;
    std::string error; // set: the run could not be measured

    [[nodiscard]] bool measured() const { return error.empty() && delivered > 0 && drain_s > 0; }
    [[nodiscard]] double rate() const { return static_cast<double>(delivered) / drain_s; }
};

Run drain(const std::string& base, const fs::path& dir, const std::string& site, int records, int batch,
          std::chrono::seconds budget, bool verify_after = true) {
    Run run;
    run.site = site;
    run.records = records;
    run.batch = batch;

    his::CurlTransport admin(transport_options());
    reset_server(admin, base);

    const core::SystemClock clock;
    auto db = store::Database::open(dir / (site + ".db"));
    std::vector<std::string> issued;
    issued.reserve(static_cast<std::size_t>(records));
    {
        // Issuing is set-up, not the figure, so it skips the per-ticket fsync. The drain below runs with
        // the kiosk's own synchronous=FULL (one durable commit per delivery attempt).
        db.exec("PRAGMA synchronous = OFF");
        store::TicketStore tickets(db);
        const core::KioskIdentity kiosk{site, "K1", 'A', 7 * 60};
        const core::Service service{"KBH", "A", "Khám BHYT", "Insured"};
        const auto t0 = Steady::now();
        for (int i = 0; i < records; ++i)
            issued.push_back(tickets.issue(kiosk, service, clock.now()).reference);
        run.issue_s = seconds_between(t0, Steady::now());
        db.exec("PRAGMA synchronous = FULL");
    }
    if (const auto waiting = store::Outbox(db).count(); waiting != records)
        throw std::runtime_error("the outbox holds " + std::to_string(waiting) + " rows, expected " +
                                 std::to_string(records));

    his::CurlTransport curl(transport_options());
    CountingTransport counting(curl);
    his::FhirHis fhir(counting, base, identifier_base_of(site));
    BudgetedHis port(fhir);
    sync::SyncEngine engine(
        db, port, clock,
        sync::SyncSettings{batch, std::chrono::milliseconds(2000), std::chrono::milliseconds(300000)}, 1);
    const auto t0 = Steady::now();
    port.start(budget);
    run.status = engine.run_once(); // delivers everything due, batch after batch
    run.drain_s = seconds_between(t0, Steady::now());
    run.requests = counting.requests();
    run.bytes_sent = counting.bytes_sent();
    run.budget_exceeded = port.exceeded();
    run.delivered = run.status.delivered_total;
    if (verify_after && !run.budget_exceeded) run.verification = verify(admin, base, site, issued);
    return run;
}

struct LatencyRow {
    int latency_ms = 0;
    double rtt_ms = -1; // measured GET /healthz round trip
    Run batched, single;
};

std::string exactly_once_text(const Run& r) {
    if (!r.error.empty()) return "n/a (failed)";
    if (r.budget_exceeded) return "n/a (stopped by budget)";
    if (!r.verification.ok) return "NO: " + std::to_string(r.verification.summary_total) + " on server";
    return "yes, " + std::to_string(r.verification.issued_once) + "/" + std::to_string(r.records);
}

void print_drain_table(const std::vector<LatencyRow>& rows, int batch, double goal) {
    std::printf("\n1. OUTBOX DRAIN: batched (batch Bundles of %d conditional creates) vs single (one POST "
                "Encounter + If-None-Exist per record)\n",
                batch);
    const char* head = "%-9s %-8s %-8s %8s %9s %8s %10s %7s %-10s %s\n";
    std::printf(head, "latency", "RTT ms", "mode", "records", "requests", "seconds", "records/s", "ratio",
                "goal>=10x", "exactly-once on server");
    std::printf("%s\n", std::string(105, '-').c_str());
    for (const auto& row : rows) {
        const std::string latency = row.latency_ms == 0 ? "0 (lo)" : std::to_string(row.latency_ms) + " ms";
        const std::string rtt = row.rtt_ms < 0 ? "?" : fmt(row.rtt_ms, 2);
        for (const Run* r : {&row.batched, &row.single}) {
            const bool is_single = r == &row.single;
            std::string ratio, verdict;
            if (is_single) {
                if (row.batched.measured() && row.single.measured()) {
                    const double x = row.batched.rate() / row.single.rate();
                    ratio = fmt(x, 1) + "x";
                    verdict = x >= goal ? "met" : "NOT MET";
                } else {
                    ratio = "n/a";
                    verdict = "n/a";
                }
            }
            if (!r->error.empty()) {
                std::printf(head, latency.c_str(), rtt.c_str(), is_single ? "single" : "batched", "-", "-",
                            "-", "-", ratio.c_str(), verdict.c_str(), "n/a (failed)");
                continue;
            }
            std::printf(head, latency.c_str(), rtt.c_str(), is_single ? "single" : "batched",
                        std::to_string(r->delivered).c_str(), std::to_string(r->requests).c_str(),
                        fmt(r->drain_s, 2).c_str(), r->measured() ? fmt(r->rate(), 0).c_str() : "-",
                        ratio.c_str(), verdict.c_str(), exactly_once_text(*r).c_str());
        }
    }
    std::printf("%s\n", std::string(105, '-').c_str());
}

// --- 2. the reference download ------------------------------------------------------------------------

// "yyyy-mm-ddThh:mm:00+07:00" for `day` days after today (UTC) at local minute `minute` (+07:00).
std::string local_time(std::chrono::sys_days today, int day, int minute) {
    using namespace std::chrono;
    const year_month_day ymd{today + days(day)};
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:00+07:00", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), minute / 60,
                  minute % 60);
    return buf;
}

struct SlotSet {
    std::vector<std::string> schedule_ids;
    std::vector<json> slots; // as stored (with their server ids)
    double load_s = 0;
    long requests = 0;
};

// 50 Schedules, then the Slots in batch Bundles of 1000, all through the server's normal FHIR API (the
// same repository, validation and indexes as any write). 10-minute slots from 07:00 to 19:00 (+07:00) on
// the 14 days from today: inside the downloader's window, whatever the time of day.
SlotSet load_slots(const std::string& base, int n_slots) {
    constexpr int kSchedules = 50, kPerDay = 72, kBatch = 1000;
    SlotSet set;
    his::CurlTransport curl(transport_options());
    CountingTransport t(curl);
    reset_server(t, base);
    const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    const auto t0 = Steady::now();
    json entries = json::array();
    for (int s = 0; s < kSchedules; ++s)
        entries.push_back(
            {{"request", {{"method", "POST"}, {"url", "Schedule"}}},
             {"resource",
              {{"resourceType", "Schedule"},
               {"active", true},
               {"actor", json::array({{{"reference", "Location/room-" + std::to_string(s)}}})}}}});
    for (const auto& e : post_batch(t, base, std::move(entries), "201"))
        set.schedule_ids.push_back(created_id(e));
    const int per_schedule = (n_slots + kSchedules - 1) / kSchedules;
    for (int from = 0; from < n_slots; from += kBatch) {
        entries = json::array();
        const int to = std::min(n_slots, from + kBatch);
        for (int i = from; i < to; ++i) {
            const int s = i / per_schedule, j = i % per_schedule;
            const int day = j / kPerDay, minute = 7 * 60 + (j % kPerDay) * 10;
            entries.push_back(
                {{"request", {{"method", "POST"}, {"url", "Slot"}}},
                 {"resource",
                  {{"resourceType", "Slot"},
                   {"schedule", {{"reference", "Schedule/" + set.schedule_ids[static_cast<std::size_t>(s)]}}},
                   {"status", "free"},
                   {"start", local_time(today, day, minute)},
                   {"end", local_time(today, day, minute + 10)}}}});
        }
        const auto created = post_batch(t, base, entries, "201");
        for (std::size_t k = 0; k < created.size(); ++k) {
            json slot = std::move(entries[k]["resource"]);
            slot["id"] = created_id(created[k]);
            set.slots.push_back(std::move(slot));
        }
    }
    set.load_s = seconds_between(t0, Steady::now());
    set.requests = t.requests();
    return set;
}

struct DownloadRun {
    std::string label;
    double seconds = 0;
    double waiting_s = 0; // inside HTTP requests (network + server)
    long requests = 0;
    std::size_t bytes_received = 0;
    long rss_growth_kb = -1; // peak RSS during the run minus RSS before it
    sync::DownloadResult result;
    std::int64_t cached_slots = 0;
    std::string check; // what was checked afterwards, and the verdict
    bool ok = false;
};

DownloadRun download(const std::string& base, store::Database& db, core::UnixMillis now, std::string label) {
    DownloadRun run;
    run.label = std::move(label);
    his::CurlTransport curl(transport_options());
    CountingTransport counting(curl);
    sync::ReferenceDownloader downloader(counting, base, db); // production settings
    const long rss_before = proc_status_kb("VmRSS:");
    const bool peak_reset = reset_peak_rss();
    const auto t0 = Steady::now();
    run.result = downloader.run_once(now);
    run.seconds = seconds_between(t0, Steady::now());
    if (peak_reset && rss_before >= 0) run.rss_growth_kb = proc_status_kb("VmHWM:") - rss_before;
    run.waiting_s = counting.waiting_s();
    run.requests = counting.requests();
    run.bytes_received = counting.bytes_received();
    run.cached_slots = store::ReferenceCache(db).count("Slot");
    return run;
}

// Compares the cache's Slots with the server's (ids, versions, statuses); "" when they agree.
std::string compare_with_server(const std::string& base, store::Database& db) {
    his::CurlTransport t(transport_options());
    const auto server = get_all(t, base + "/Slot?_count=1000");
    store::ReferenceCache cache(db);
    const auto cached = cache.ids("Slot");
    std::set<std::string> server_ids;
    long mismatched = 0;
    for (const auto& s : server) {
        const std::string id = s.value("id", "");
        server_ids.insert(id);
        const auto row = cache.find("Slot", id);
        if (!row || row->version_id != s["meta"].value("versionId", "") ||
            row->status != s.value("status", ""))
            ++mismatched;
    }
    const std::set<std::string> cached_ids(cached.begin(), cached.end());
    if (cached_ids == server_ids && mismatched == 0) return "";
    return "cache " + std::to_string(cached_ids.size()) + " Slots, server " +
           std::to_string(server_ids.size()) + ", " + std::to_string(mismatched) + " missing or different";
}

const sync::TypeDownload& slot_download(const DownloadRun& r) {
    static const sync::TypeDownload none{};
    const auto* t = r.result.find("Slot");
    return t ? *t : none;
}

void print_download_table(const SlotSet& set, const std::vector<DownloadRun>& runs) {
    std::printf(
        "\n2. REFERENCE DOWNLOAD: %zu Slots in %zu Schedules, sync::ReferenceDownloader with its default "
        "settings (_count=200, keyset on _lastUpdated, Slot window today-1..today+16 UTC)\n",
        set.slots.size(), set.schedule_ids.size());
    const char* head = "%-44s %8s %8s %6s %6s %8s %8s %7s %-5s %7s %9s %s\n";
    std::printf(head, "run", "seconds", "Slots/s", "pages", "reqs", "fetched", "unchang", "removed", "full",
                "cached", "RSS +MB", "check");
    std::printf("%s\n", std::string(140, '-').c_str());
    std::printf(head, "load into the server (not counted below)", fmt(set.load_s, 2).c_str(),
                fmt(static_cast<double>(set.slots.size()) / set.load_s, 0).c_str(), "-",
                std::to_string(set.requests).c_str(), "-", "-", "-", "-", "-", "-",
                "POST batch Bundles of 1000 (+ 1 of Schedules)");
    for (const auto& r : runs) {
        const auto& slot = slot_download(r);
        const double slots = static_cast<double>(slot.fetched + slot.unchanged);
        std::printf(head, r.label.c_str(), fmt(r.seconds, 2).c_str(), fmt(slots / r.seconds, 0).c_str(),
                    std::to_string(slot.pages).c_str(), std::to_string(r.requests).c_str(),
                    std::to_string(slot.fetched).c_str(), std::to_string(slot.unchanged).c_str(),
                    std::to_string(slot.removed).c_str(), slot.full_scan ? "yes" : "no",
                    std::to_string(r.cached_slots).c_str(),
                    r.rss_growth_kb < 0 ? "?" : fmt(static_cast<double>(r.rss_growth_kb) / 1024, 1).c_str(),
                    r.ok ? "ok" : "WRONG");
    }
    std::printf("%s\n", std::string(140, '-').c_str());
    std::printf(
        "(Slots/s: Slots received (fetched + unchanged) per second of the whole run_once, all 7 types; "
        "pages and the counts are the Slot type's; reqs all HTTP requests of the run; RSS +MB the peak RSS "
        "during the run minus the RSS before it (memory an earlier run freed is reused). The test server "
        "answers each keyset page by scanning every stored Slot, tens of ms per page at 50,000; a HIS with "
        "an index on lastUpdated would answer faster, so the kiosk's own share is shown apart below.)\n");
    for (const auto& r : runs) {
        const auto& slot = slot_download(r);
        std::printf(
            "  %s: %s; %.2f s of %.2f s waiting on HTTP (server + network; %.1f ms per request), %.2f s "
            "in the kiosk (JSON, SQLite); %.1f MB received%s%s\n",
            r.label.c_str(), r.check.c_str(), r.waiting_s, r.seconds,
            1000 * r.waiting_s / static_cast<double>(std::max(1L, r.requests)), r.seconds - r.waiting_s,
            static_cast<double>(r.bytes_received) / 1e6,
            slot.full_scan ? ("; full scan: " + slot.full_scan_reason).c_str() : "",
            r.result.ok() ? "" : ("; ERRORS: " + slot.error).c_str());
    }
}

// --- 3. upload latency while a reference download runs -------------------------------------------------

// When the HIS's reply to each ticket's upload reached the kiosk, by the ticket reference in the request;
// and when the reference download's requests (GETs) ran. Written by the sync threads, read by the bench.
struct AckLog {
    std::mutex m;
    std::map<std::string, Steady::time_point> acked;
    std::optional<Steady::time_point> first_get, last_get_end;
    int gets_in_flight = 0;
};

// Over a CurlTransport: notes the acknowledgements and the download's activity in an AckLog.
class AckingTransport final : public his::HttpTransport {
public:
    explicit AckingTransport(AckLog& log) : curl_(transport_options()), log_(log) {}
    his::HttpResponse send(const his::HttpRequest& request) override {
        const bool get = request.method == "GET";
        if (get) {
            std::lock_guard lock(log_.m);
            if (!log_.first_get) log_.first_get = Steady::now();
            ++log_.gets_in_flight;
        }
        auto response = curl_.send(request);
        const auto now = Steady::now();
        std::lock_guard lock(log_.m);
        if (get) {
            --log_.gets_in_flight;
            log_.last_get_end = now;
        } else if (response.ok()) {
            const auto body = json::parse(request.body, nullptr, false);
            const auto note = [&](const json& r) {
                if (r.is_object() && r.value("resourceType", "") == "Encounter")
                    log_.acked.emplace(r["identifier"][0]["value"].get<std::string>(), now);
            };
            if (body.is_object() && body.value("resourceType", "") == "Bundle")
                for (const auto& e : body.value("entry", json::array()))
                    note(e.value("resource", json::object()));
            else
                note(body);
        }
        return response;
    }

private:
    his::CurlTransport curl_;
    AckLog& log_;
};

// The sync as it was before issue 9 (kiosk/app/sync_worker.cpp at 6bbc3d0, SyncWorker::run), its loop
// reproduced with the same parts: ONE thread that delivers what is due, then runs the reference download
// when it is due, then sleeps until a kick or a timer. A kick during the download is seen only after it.
class OneThreadSync {
public:
    OneThreadSync(fs::path db_file, std::string base, std::string identifier_base, AckLog& log)
        : db_file_(std::move(db_file)), base_(std::move(base)), identifier_base_(std::move(identifier_base)),
          log_(log), thread_([this] { run(); }) {}
    ~OneThreadSync() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_one();
        thread_.join();
    }
    void kick() {
        {
            std::lock_guard lock(mutex_);
            kicked_ = true;
        }
        cv_.notify_one();
    }

private:
    void run() {
        store::Database db = store::Database::open(db_file_);
        core::SystemClock clock;
        AckingTransport transport(log_);
        his::FhirHis fhir(transport, base_, identifier_base_);
        sync::SyncEngine engine(db, fhir, clock, sync::SyncSettings{}, 1);
        sync::ReferenceDownloader downloader(transport, base_, db);
        core::UnixMillis next_download = 0;
        for (;;) {
            engine.run_once();
            auto now = clock.now();
            if (now >= next_download) {
                downloader.run_once(now);
                next_download = clock.now() + 5 * 60 * 1000;
                now = clock.now();
            }
            auto wake = std::min(now + 60'000, next_download);
            if (const auto due = engine.next_due_at()) wake = std::min(wake, std::max(*due, now));
            std::unique_lock lock(mutex_);
            cv_.wait_for(lock, std::chrono::milliseconds(std::max<core::UnixMillis>(wake - now, 0)),
                         [this] { return stopping_ || kicked_; });
            if (stopping_) return;
            kicked_ = false;
        }
    }

    fs::path db_file_;
    std::string base_, identifier_base_;
    AckLog& log_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false, kicked_ = false;
    std::thread thread_;
};

struct LatencyRun {
    std::string label;
    std::vector<double> ms; // stored -> acknowledged, of the records stored while the download ran
    int issued = 0;         // records stored in all
    double download_s = 0;  // first GET to the end of the last one
    bool complete = false;  // every record was acknowledged
};

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p / 100 * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

// A first reference download into an empty cache (all 7 types, the server's Slots) runs while a ticket is
// stored (TicketStore::issue, then kick() as the kiosk does) every interval_ms; stops storing once the
// download's requests have stopped for 2 s, then waits for every acknowledgement.
LatencyRun upload_latency_under_download(const std::string& base, const fs::path& db_file, bool two_threads,
                                         int interval_ms) {
    LatencyRun run;
    run.label = two_threads ? "after: uploads on their own thread (sync::SyncWorker)"
                            : "before: one thread (main's SyncWorker loop)";
    const std::string site = two_threads ? "LAT-2" : "LAT-1";
    store::Database db = store::Database::open(db_file);
    store::TicketStore tickets(db);
    const core::KioskIdentity kiosk{site, "SANH-A-01", 'A', 420};
    const core::Service service{"KBH", "A", "Khám BHYT", "Insured"};
    AckLog log;
    std::atomic<bool> stop{false};
    std::unique_ptr<sync::SyncWorker> worker;
    std::unique_ptr<OneThreadSync> one;
    if (two_threads) {
        sync::HisConnection c;
        c.base_url = base;
        c.identifier_base = identifier_base_of(site);
        c.transport = transport_options();
        c.transport.stop = &stop;
        c.make_transport = [&log] { return std::make_unique<AckingTransport>(log); };
        worker = std::make_unique<sync::SyncWorker>(db_file, std::move(c),
                                                    [](const sync::SyncStatus&, std::uint64_t) {});
    } else {
        one = std::make_unique<OneThreadSync>(db_file, base, identifier_base_of(site), log);
    }
    std::map<std::string, Steady::time_point> stored;
    const auto deadline = Steady::now() + std::chrono::minutes(10);
    for (;;) {
        {
            std::lock_guard lock(log.m);
            if (log.last_get_end && log.gets_in_flight == 0 &&
                Steady::now() - *log.last_get_end > std::chrono::seconds(2))
                break;
        }
        if (Steady::now() > deadline) break;
        {
            std::lock_guard lock(log.m);
            if (!log.first_get) { // the download has not started: nothing to measure yet
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                continue;
            }
        }
        const auto ref = tickets.issue(kiosk, service, core::SystemClock().now()).reference;
        stored.emplace(ref, Steady::now());
        if (worker) worker->kick();
        if (one) one->kick();
        std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    }
    for (;;) {
        {
            std::lock_guard lock(log.m);
            if (log.acked.size() >= stored.size() || Steady::now() > deadline) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop = true;
    worker.reset();
    one.reset();
    std::lock_guard lock(log.m);
    run.issued = static_cast<int>(stored.size());
    run.complete = log.acked.size() >= stored.size();
    if (log.first_get && log.last_get_end)
        run.download_s = seconds_between(*log.first_get, *log.last_get_end);
    for (const auto& [ref, at] : stored) {
        const auto a = log.acked.find(ref);
        if (a == log.acked.end() || (log.last_get_end && at > *log.last_get_end)) continue;
        run.ms.push_back(1000 * seconds_between(at, a->second));
    }
    return run;
}

void print_latency_table(const std::vector<LatencyRun>& runs, int rtt_ms, int interval_ms) {
    std::printf("\n3. UPLOAD LATENCY WHILE A REFERENCE DOWNLOAD RUNS: a ticket stored every %d ms during the "
                "first download (empty cache, every type, the server's Slots) at %d ms emulated round trip; "
                "latency = TicketStore::issue returned -> the HIS's 2xx reply reached the kiosk\n",
                interval_ms, rtt_ms);
    const char* head = "%-56s %8s %9s %9s %9s %10s %s\n";
    std::printf(head, "sync", "records", "p50 ms", "p99 ms", "max ms", "download s", "");
    std::printf("%s\n", std::string(112, '-').c_str());
    for (const auto& r : runs) {
        const double max = r.ms.empty() ? 0 : *std::max_element(r.ms.begin(), r.ms.end());
        std::printf(head, r.label.c_str(), std::to_string(r.ms.size()).c_str(),
                    fmt(percentile(r.ms, 50), 0).c_str(), fmt(percentile(r.ms, 99), 0).c_str(),
                    fmt(max, 0).c_str(), fmt(r.download_s, 1).c_str(),
                    r.complete ? "" : "(NOT every record was acknowledged in 10 min)");
    }
    std::printf("%s\n", std::string(112, '-').c_str());
    std::printf("(records: those stored while the download's requests ran. The test server answers one "
                "request at a time, so an upload still waits for the download page being served; a HIS "
                "serving requests in parallel would answer it at once.)\n");
}

bool parse_int(std::string_view v, int& out, int min) {
    int x = 0;
    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (ec != std::errc() || p != v.data() + v.size() || x < min) return false;
    out = x;
    return true;
}

bool parse_list(std::string_view v, std::vector<int>& out) {
    out.clear();
    while (!v.empty()) {
        const auto comma = v.find(',');
        int x = 0;
        if (!parse_int(v.substr(0, comma), x, 0) || x > 60000) return false;
        out.push_back(x);
        v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
    }
    return !out.empty();
}

constexpr const char* kUsage =
    "usage: sync_bench [--dir DIR] [--records N] [--batch N] [--latencies MS,MS,...] [--wan-single-records "
    "N]\n"
    "                  [--single-budget S] [--slots N] [--slot-latency MS] [--upload-interval MS] "
    "[--no-drain]\n"
    "  (defaults: --dir $TMPDIR or /tmp, --records 10000, --batch 100, --latencies 0,5,20,\n"
    "   --wan-single-records 2000, --single-budget 300, --slots 50000, --slot-latency 20; see "
    "sync_bench.cpp)\n";

} // namespace

int main(int argc, char** argv) {
    fs::path dir = fs::temp_directory_path();
    int records = 10000;
    int batch = 100;
    std::vector<int> latencies = {0, 5, 20};
    int wan_single_records = 2000;
    int single_budget_s = 300;
    int n_slots = 50000;
    int slot_latency = 20;
    int upload_interval = 500;
    bool drain_part = true;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--help" || a == "-h") {
            std::printf("%s", kUsage);
            return 0;
        }
        if (a == "--dir" && has_value) {
            dir = argv[++i];
        } else if (a == "--no-drain") {
            drain_part = false;
        } else if ((a == "--records" && has_value && parse_int(argv[++i], records, 1)) ||
                   (a == "--batch" && has_value && parse_int(argv[++i], batch, 1)) ||
                   (a == "--latencies" && has_value && parse_list(argv[++i], latencies)) ||
                   (a == "--wan-single-records" && has_value &&
                    parse_int(argv[++i], wan_single_records, 1)) ||
                   (a == "--single-budget" && has_value && parse_int(argv[++i], single_budget_s, 1)) ||
                   (a == "--slots" && has_value && parse_int(argv[++i], n_slots, 0)) ||
                   (a == "--slot-latency" && has_value && parse_int(argv[++i], slot_latency, 0)) ||
                   (a == "--upload-interval" && has_value && parse_int(argv[++i], upload_interval, 1))) {
        } else {
            std::fprintf(stderr, "%s", kUsage);
            return 2;
        }
    }

    const auto bench_start = Steady::now();
    std::optional<TempDir> temp;
    std::unique_ptr<test::FhirServer> server;
    std::string medplum = "?";
    try {
        temp.emplace(dir, "sync-bench");
        progress("starting the FHIR test server");
        server = std::make_unique<test::FhirServer>();
        his::CurlTransport t(transport_options());
        medplum = get_json(t, server->base() + "/metadata")["software"].value("version", "?");
        set_latency(server->base(), 0); // also: a server.js without latency emulation fails here
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sync_bench: %s\n", e.what());
        return 1;
    }
    const std::string base = server->base();

    utsname u{};
    ::uname(&u);
    std::printf("sync_bench — %s\n", now_text().c_str());
    std::printf("machine: %ld CPUs (nproc), %s; Linux %s; load average %s\n", ::sysconf(_SC_NPROCESSORS_ONLN),
                cpu_model().c_str(), u.release, first_line_of("cut -d' ' -f1-3 /proc/loadavg").c_str());
    std::printf("build: %s\n", std::string_view(KIOSK_BENCH_BUILD_TYPE).empty() ? "(no CMAKE_BUILD_TYPE)"
                                                                                : KIOSK_BENCH_BUILD_TYPE);
    std::printf("server: tests/fhir-server (Medplum %s, node %s) at %s, in-memory, one request at a time\n",
                medplum.c_str(), first_line_of("node --version 2>/dev/null").c_str(), base.c_str());
    std::printf("client: SQLite in %s (%s), his::CurlTransport (one keep-alive connection per run)\n",
                temp->path().c_str(),
                fs_type(temp->path(), "the per-request SQLite commit is free, which favours single").c_str());
    std::printf(
        "latency: emulated by the server (POST /admin/latency?ms=N: every response held N ms); RTT ms = "
        "measured median GET /healthz\n");
    std::fflush(stdout);

    std::vector<std::string> notes;
    constexpr double kGoal = 10;

    // ---- 1. drain ---------------------------------------------------------------------------------------
    std::vector<LatencyRow> rows;
    if (!drain_part) latencies.clear();
    if (drain_part) try {
            progress("warm-up (untimed)");
            drain(base, temp->path(), "BENCH-WARM-B", 500, batch, std::chrono::seconds(300), false);
            drain(base, temp->path(), "BENCH-WARM-S", 200, 1, std::chrono::seconds(300), false);
        } catch (const std::exception& e) {
            notes.push_back(std::string("warm-up failed: ") + e.what());
        }
    for (const int latency : latencies) {
        LatencyRow row;
        row.latency_ms = latency;
        const std::string tag = "L" + std::to_string(latency);
        try {
            set_latency(base, latency);
            row.rtt_ms = median_round_trip_ms(base, 50);
        } catch (const std::exception& e) {
            notes.push_back("latency " + std::to_string(latency) + " ms: " + e.what());
            continue;
        }
        const int single_records = latency == 0 ? records : std::min(records, wan_single_records);
        const auto one = [&](Run& out, const std::string& site, int n, int size,
                             std::chrono::seconds budget) {
            progress(std::to_string(latency) + " ms: " + (size == 1 ? "single" : "batched") + " drain of " +
                     std::to_string(n) + " records");
            try {
                out = drain(base, temp->path(), site, n, size, budget);
                if (out.budget_exceeded)
                    notes.push_back(site + ": stopped by the " + std::to_string(budget.count()) +
                                    " s budget after " + std::to_string(out.delivered) + " of " +
                                    std::to_string(n) +
                                    " records; its rate is that of the records delivered");
                if (!out.status.last_error.empty() && !out.budget_exceeded)
                    notes.push_back(site + ": last sync error: " + out.status.last_error);
                std::printf("  verification %s: %s\n", site.c_str(),
                            out.budget_exceeded ? "skipped (stopped by budget)"
                                                : out.verification.text.c_str());
            } catch (const std::exception& e) {
                out.error = e.what();
                notes.push_back(site + " failed: " + e.what());
            }
        };
        if (latency == latencies.front()) std::printf("\n");
        one(row.batched, "BENCH-" + tag + "-BATCH", records, batch, std::chrono::seconds(1800));
        one(row.single, "BENCH-" + tag + "-SINGLE", single_records, 1, std::chrono::seconds(single_budget_s));
        std::fflush(stdout);
        rows.push_back(std::move(row));
    }
    try {
        set_latency(base, 0);
    } catch (const std::exception& e) {
        notes.push_back(std::string("resetting the latency failed: ") + e.what());
    }

    // ---- 2. download ------------------------------------------------------------------------------------
    std::optional<SlotSet> set;
    std::vector<DownloadRun> runs;
    std::vector<LatencyRun> latency_runs;
    int latency_rtt = 0;
    if (n_slots > 0) {
        try {
            progress("loading " + std::to_string(n_slots) + " Slots into the server");
            set = load_slots(base, n_slots);
            auto db = store::Database::open(temp->path() / "reference.db");
            const core::UnixMillis t0 = core::SystemClock().now();

            progress("first download into an empty cache");
            auto first = download(base, db, t0, "first download, empty cache");
            {
                const auto diff = compare_with_server(base, db);
                first.ok = first.result.ok() && diff.empty() && first.cached_slots == n_slots;
                first.check = diff.empty() ? "cache = server (" + std::to_string(first.cached_slots) +
                                                 " Slots: ids, versionIds, statuses)"
                                           : "MISMATCH: " + diff;
            }
            runs.push_back(std::move(first));

            // 500 Slots booked (status busy) and 100 deleted on the server, spread over all schedules.
            his::CurlTransport t(transport_options());
            // Every step-th Slot, alternately: five booked, then one deleted.
            const auto step = static_cast<std::size_t>(std::max(1, n_slots / 600));
            std::vector<std::size_t> busy, gone;
            for (std::size_t i = 0, k = 0; i < set->slots.size() && busy.size() + gone.size() < 600;
                 i += step, ++k)
                (k % 6 == 5 ? gone : busy).push_back(i);
            // Books the slots at these indices (one batch of PUTs).
            auto mark_busy = [&](const std::vector<std::size_t>& indices) {
                json puts = json::array();
                for (const auto i : indices) {
                    json slot = set->slots[i];
                    slot["status"] = "busy";
                    puts.push_back(
                        {{"request", {{"method", "PUT"}, {"url", "Slot/" + slot["id"].get<std::string>()}}},
                         {"resource", slot}});
                }
                post_batch(t, base, std::move(puts), "200");
            };
            mark_busy(busy);
            json entries = json::array();
            for (const auto i : gone)
                entries.push_back(
                    {{"request",
                      {{"method", "DELETE"}, {"url", "Slot/" + set->slots[i]["id"].get<std::string>()}}}});
            post_batch(t, base, std::move(entries), "200");

            // The sync worker downloads every 5 minutes: the next run is 5 minutes later on the kiosk clock
            // (which also lets the downloader's count check run: count_check_min_gap_ms is 5 min).
            progress("incremental download after " + std::to_string(busy.size()) + " changes and " +
                     std::to_string(gone.size()) + " deletions");
            auto second = download(base, db, t0 + 5 * 60 * 1000,
                                   "next: " + std::to_string(busy.size()) + " now busy, " +
                                       std::to_string(gone.size()) + " deleted");
            {
                store::ReferenceCache cache(db);
                long busy_ok = 0, gone_ok = 0;
                for (const auto i : busy)
                    if (const auto row = cache.find("Slot", set->slots[i]["id"].get<std::string>());
                        row && row->status == "busy")
                        ++busy_ok;
                for (const auto i : gone)
                    if (!cache.find("Slot", set->slots[i]["id"].get<std::string>())) ++gone_ok;
                const auto diff = compare_with_server(base, db);
                const auto expected = static_cast<std::int64_t>(n_slots - static_cast<int>(gone.size()));
                second.ok = second.result.ok() && diff.empty() && second.cached_slots == expected &&
                            busy_ok == static_cast<long>(busy.size()) &&
                            gone_ok == static_cast<long>(gone.size());
                second.check =
                    std::to_string(busy_ok) + "/" + std::to_string(busy.size()) + " busy in the cache, " +
                    std::to_string(gone_ok) + "/" + std::to_string(gone.size()) + " deleted gone, " +
                    (diff.empty() ? "cache = server (" + std::to_string(second.cached_slots) + " Slots)"
                                  : "MISMATCH: " + diff);
            }
            runs.push_back(std::move(second));

            // 500 more booked, nothing deleted: the incremental path alone (no count mismatch, no full scan).
            // Never a deleted slot: a PUT would create it again (with few slots the two strides meet).
            std::vector<std::size_t> busy2;
            for (std::size_t i = step / 2 + 1; i < set->slots.size() && busy2.size() < 500; i += step)
                if (std::find(gone.begin(), gone.end(), i) == gone.end()) busy2.push_back(i);
            mark_busy(busy2);
            progress("incremental download after " + std::to_string(busy2.size()) + " more changes");
            auto third = download(base, db, t0 + 10 * 60 * 1000,
                                  "next: " + std::to_string(busy2.size()) + " more busy, none deleted");
            {
                store::ReferenceCache cache(db);
                long busy_ok = 0;
                for (const auto i : busy2)
                    if (const auto row = cache.find("Slot", set->slots[i]["id"].get<std::string>());
                        row && row->status == "busy")
                        ++busy_ok;
                const auto diff = compare_with_server(base, db);
                third.ok = third.result.ok() && diff.empty() && busy_ok == static_cast<long>(busy2.size());
                third.check =
                    std::to_string(busy_ok) + "/" + std::to_string(busy2.size()) + " busy in the cache, " +
                    (diff.empty() ? "cache = server (" + std::to_string(third.cached_slots) + " Slots)"
                                  : "MISMATCH: " + diff);
            }
            runs.push_back(std::move(third));

            if (slot_latency > 0) {
                // The first download again, into a second empty cache, over an emulated WAN.
                progress("first download at " + std::to_string(slot_latency) + " ms round trip");
                auto db2 = store::Database::open(temp->path() / "reference-wan.db");
                set_latency(base, slot_latency);
                auto wan =
                    download(base, db2, t0 + 10 * 60 * 1000,
                             "first download, empty cache, " + std::to_string(slot_latency) + " ms RTT");
                set_latency(base, 0);
                const auto diff = compare_with_server(base, db2);
                wan.ok = wan.result.ok() && diff.empty();
                wan.check = diff.empty() ? "cache = server (" + std::to_string(wan.cached_slots) + " Slots)"
                                         : "MISMATCH: " + diff;
                runs.push_back(std::move(wan));
            }

            // ---- 3. upload latency while that download runs again, before and after issue 9 ----------
            const int rtt = slot_latency > 0 ? slot_latency : 20;
            set_latency(base, rtt);
            progress("upload latency during a first download, one thread (before issue 9)");
            latency_runs.push_back(
                upload_latency_under_download(base, temp->path() / "latency-1.db", false, upload_interval));
            progress("upload latency during a first download, uploads on their own thread");
            latency_runs.push_back(
                upload_latency_under_download(base, temp->path() / "latency-2.db", true, upload_interval));
            set_latency(base, 0);
            latency_rtt = rtt;
        } catch (const std::exception& e) {
            notes.push_back(std::string("reference download part failed: ") + e.what());
        }
    }

    // ---- summary ----------------------------------------------------------------------------------------
    if (drain_part) {
        print_drain_table(rows, batch, kGoal);
        std::printf("ratio = batched records/s / single records/s of the same latency; goal >= %.0fx (the "
                    "issue's).\n",
                    kGoal);
    }
    if (std::any_of(rows.begin(), rows.end(),
                    [&](const LatencyRow& r) { return r.single.records != records; }))
        std::printf(
            "single at a latency > 0 drains %d records (--wan-single-records; each waits a full round trip, "
            "the per-record cost is flat): pass --wan-single-records %d for the full count.\n",
            wan_single_records, records);
    if (set) print_download_table(*set, runs);
    if (!latency_runs.empty()) print_latency_table(latency_runs, latency_rtt, upload_interval);
    if (!notes.empty()) std::printf("\nNotes:\n");
    for (const auto& n : notes)
        std::printf("  - %s\n", n.c_str());
    std::printf("\nsync_bench took %.0f s in all\n", seconds_between(bench_start, Steady::now()));
    std::fflush(stdout);
    return 0;
}
