#include "kiosk/sync/reference_download.hpp"

#include "kiosk/his/fhir_his.hpp"
#include "kiosk/his/fhir_mapping.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <string_view>
#include <utility>

// Why the download works the way it does (facts checked against tests/fhir-server, Medplum 3.2.24):
//
// Paging. The server's `next` links page by offset, and pages are not snapshots: an update between two
// pages moves that resource to the end of a _sort=_lastUpdated result, every later one shifts forward by
// one, and the resource that slid across the page boundary is never returned. With the cursor committed
// past it, it would be lost for good. So pages are fetched by keyset instead: every page is the query
// again from the newest meta.lastUpdated received so far. `ge` rather than `gt`, because several
// resources can share a millisecond and a page may end in the middle of them; the ones received twice are
// recognised as unchanged (the cached row is identical) and neither rewritten nor counted as fetched.
// `next` is followed only when a page brings nothing newer than its bound (a run of equal timestamps
// longer than a page), when the server does not sort, or when it refuses a keyset query.
//
// Cursor. The newest meta.lastUpdated received, as the server wrote it (the server's clock, never the
// kiosk's), stored with the page it came with in one transaction. That is safe because the pages are
// sorted ascending: nothing older than the page's newest can still be waiting. If a page is not sorted,
// the cursor is held back until the last page of the run.
//
// Deletions. A search never returns a deleted resource. FHIR's answer is the type-level history
// (GET <Type>/_history?_since=...), which lists deletions, but this server answers it with 404 (only
// instance history exists, and a deleted resource's history is gone too; the CapabilityStatement lists
// history-instance, not history-type). So deletions are found by a full scan (reconciliation): every
// resource of the type (the Slot window applied) is listed, upserted where changed, and the cached ids
// not seen are asked for once more with _id=a,b,c (same filters) before they are removed, so a resource
// missed by a page shift is never removed by mistake. A full scan runs on the first download, every
// reconcile_every_ms, when the server refuses the cursor query (4xx: "cursor too old", no _lastUpdated
// support, ...), and when the server's count (_summary=count) differs from the cache's after an
// incremental run, which is how a deletion is usually noticed within a run or two. Instead of reset()
// and a download from nothing, the full scan keeps the cached rows serving the booking screens until it
// has the new ones; the end state is the same.
//
// Resumable full scans. A type larger than max_pages_per_type * page_size cannot be listed in one run, and
// a scan that started over every run would never finish. So a full scan keeps its progress in the
// database (store::ReferenceScan: the keyset bound, the server's next link, the newest lastUpdated) and
// marks every row it receives, unchanged ones too, with its scan id; both go with each page in one
// transaction, so a stop or crash between runs loses nothing. The keyset paging is the incremental one,
// so a resource updated meanwhile moves ahead of the bound and is received later; one deleted meanwhile is
// not received, is checked by _id at the end and removed. The id checks are stored one answer at a time
// as well. Only the rows the scan did not receive are checked, so nothing it saw can be removed. While a
// scan is unfinished, each run first brings the changes since the cursor (so a booked slot is not shown
// free for hours), then continues the scan. A scan older than reconcile_every_ms starts over (its marks
// are stale), and a new scan's id is never an old one's, so old marks count for nothing.
//
// Slot window. Slots are searched with start=ge<first day>&start=lt<last day + 1>, in UTC days with a
// day's margin each side so the site's local [today, today + slot_days_ahead] is inside whatever its UTC
// offset. A slot cancelled, booked or moved inside the window has a new lastUpdated and is still matched,
// so the incremental query learns it. A slot moved out of the window, deleted, or (as the window moves
// each day) an old unchanged slot entering it changes the window's count, which starts a full scan; the
// periodic reconciliation catches what the counts cannot see, and removes slots that have passed.

namespace kiosk::sync {
namespace {

// The FHIR side of the download (requests, Bundles, ids) is the HIS adapter's vocabulary.
using namespace kiosk::his;

using nlohmann::json;

constexpr int kMaxIdsPerCheck = 50; // ids per _id=... request of a full scan (about 1.9 kB of URL)

// Nanoseconds since the epoch of an ISO 8601 instant "yyyy-mm-ddThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm)",
// for comparing meta.lastUpdated values whatever their offset or number of fraction digits.
std::optional<std::int64_t> instant_ns(std::string_view s) {
    auto number = [&](std::size_t at, std::size_t digits, int& out) {
        if (at + digits > s.size()) return false;
        int v = 0;
        for (std::size_t i = 0; i < digits; ++i) {
            const char c = s[at + i];
            if (c < '0' || c > '9') return false;
            v = v * 10 + (c - '0');
        }
        out = v;
        return true;
    };
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    if (!number(0, 4, y) || s.size() < 20 || s[4] != '-' || !number(5, 2, mo) || s[7] != '-' ||
        !number(8, 2, d) || s[10] != 'T' || !number(11, 2, h) || s[13] != ':' || !number(14, 2, mi) ||
        s[16] != ':' || !number(17, 2, se))
        return std::nullopt;
    std::size_t at = 19;
    std::int64_t fraction = 0;
    if (s[at] == '.') {
        ++at;
        int kept = 0;
        const std::size_t first = at;
        for (; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at)
            if (kept < 9) fraction = fraction * 10 + (s[at] - '0'), ++kept;
        if (at == first) return std::nullopt;
        for (; kept < 9; ++kept)
            fraction *= 10;
    }
    if (at >= s.size()) return std::nullopt; // an instant has a zone
    int offset_minutes = 0;
    if (s[at] == 'Z') {
        ++at;
    } else if (s[at] == '+' || s[at] == '-') {
        int oh = 0, om = 0;
        if (!number(at + 1, 2, oh) || at + 3 >= s.size() || s[at + 3] != ':' || !number(at + 4, 2, om))
            return std::nullopt;
        offset_minutes = (s[at] == '-' ? -1 : 1) * (oh * 60 + om);
        at += 6;
    } else {
        return std::nullopt;
    }
    using namespace std::chrono;
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (at != s.size() || !ymd.ok() || h > 23 || mi > 59 || se > 60) return std::nullopt;
    const std::int64_t secs = duration_cast<seconds>(sys_days(ymd).time_since_epoch()).count() + h * 3600LL +
                              mi * 60LL + se - offset_minutes * 60LL;
    return secs * 1'000'000'000LL + fraction;
}

// yyyy-mm-dd of the UTC day `add_days` after the day of `ms`.
std::string utc_date(core::UnixMillis ms, int add_days) {
    using namespace std::chrono;
    const year_month_day ymd{floor<days>(sys_time<milliseconds>(milliseconds(ms))) + days(add_days)};
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return text;
}

bool valid_type_name(const std::string& type) {
    return !type.empty() && type.size() <= 64 && type[0] >= 'A' && type[0] <= 'Z' &&
           std::all_of(type.begin(), type.end(),
                       [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); });
}

// "Schedule/1", "Schedule/1/_history/2" and "https://his/fhir/R4/Schedule/1" all become "Schedule/1";
// contained ("#x") and urn: references stay as they are.
std::string relative_reference(std::string ref) {
    if (ref.empty() || ref[0] == '#' || ref.rfind("urn:", 0) == 0) return ref;
    if (const auto h = ref.find("/_history/"); h != std::string::npos) ref.erase(h);
    if (ref.find("://") == std::string::npos) return ref;
    const auto last = ref.rfind('/');
    if (last == std::string::npos || last == 0) return ref;
    const auto before = ref.rfind('/', last - 1);
    return before == std::string::npos ? ref : ref.substr(before + 1);
}

std::string reference_at(const json& object, const char* key) {
    if (!object.is_object()) return "";
    const auto it = object.find(key);
    if (it == object.end()) return "";
    const json& target = it->is_array() ? (it->empty() ? json() : it->front()) : *it; // Schedule.actor[0]
    return relative_reference(json_text(target, "reference"));
}

// A request that gave no usable page.
class FetchError : public std::runtime_error {
public:
    FetchError(const std::string& what, long status, bool unreachable)
        : std::runtime_error(what), status_(status), unreachable_(unreachable) {}
    // No HTTP answer at all (connect, DNS, TLS, timeout): the HIS is offline.
    [[nodiscard]] bool unreachable() const { return unreachable_; }
    // A 4xx about the query itself (not authentication, not throttling).
    [[nodiscard]] bool refused_query() const {
        return status_ >= 400 && status_ < 500 && status_ != 401 && status_ != 403 && status_ != 408 &&
               status_ != 429;
    }

private:
    long status_;
    bool unreachable_;
};

struct Item {
    store::ReferenceRow row;
    std::int64_t updated_ns = 0; // meta.lastUpdated
};

struct Page {
    std::vector<Item> items;
    std::optional<std::string> next; // link[relation=next].url
    std::optional<std::int64_t> total;
};

// The newest meta.lastUpdated seen.
struct Newest {
    std::optional<std::string> text;
    std::int64_t ns = 0;
    void see(const Item& item) {
        if (!text || item.updated_ns > ns) text = item.row.last_updated, ns = item.updated_ns;
    }
};

// Where a keyset scan stands: the query from `bound`, or the server's `link` when by_link.
struct Position {
    std::optional<std::string>
        bound; // meta.lastUpdated the next keyset query starts from (nullopt: the start)
    std::optional<std::string> link; // link[next] of the last page received
    bool by_link = false;      // the next request is `link` (a run of equal timestamps, or follow_links)
    bool follow_links = false; // for good: the server does not sort or refused a keyset query
};

// One resource type in one run.
class TypeSync {
public:
    TypeSync(HttpTransport& transport, const std::string& base, store::ReferenceCache& cache,
             const ReferenceDownloadSettings& settings, core::UnixMillis now, const std::string& type,
             TypeDownload& out)
        : transport_(transport), base_(base), cache_(cache), settings_(settings), now_(now), type_(type),
          out_(out), page_size_(std::clamp(settings.page_size, 1, 1000)),
          requests_left_(std::max(1, settings.max_pages_per_type)) {
        if (type_ == "Slot") {
            const int ahead = std::clamp(settings.slot_days_ahead, 0, 3660);
            window_from_ = utc_date(now, -1);
            window_to_ = utc_date(now, ahead + 2);
        }
    }

    void run() {
        if (!valid_type_name(type_)) throw std::runtime_error("'" + type_ + "' is not a FHIR resource type");
        const auto cursor = cache_.cursor(type_);
        const auto reconciled = cache_.reconciled_at(type_);
        if (auto in_progress = cache_.scan(type_)) {
            if (const std::string why = too_old(*in_progress); !why.empty()) {
                // Its marks are stale: start over (the rows stay and keep serving meanwhile).
                const auto restarted = cache_.begin_scan(type_, in_progress->reason + "; " + why, now_);
                full_scan(restarted);
                return;
            }
            // A full scan that did not finish in an earlier run continues; the changes since the last run
            // come first, so they are not held back until the scan reaches them.
            if (cursor) {
                try {
                    incremental(cursor);
                } catch (const FetchError& e) {
                    if (e.unreachable() || !e.refused_query()) throw;
                    // The server refuses the cursor: the full scan in progress takes care of everything.
                }
            }
            full_scan(*in_progress);
            return;
        }
        std::string reason;
        if (!reconciled)
            reason = cursor ? "never reconciled" : "first download";
        else if (now_ < *reconciled || now_ - *reconciled >= settings_.reconcile_every_ms)
            reason = "periodic reconciliation";
        else if (!cursor)
            reason = "no cursor yet";
        if (reason.empty()) {
            try {
                incremental(cursor);
            } catch (const FetchError& e) {
                if (e.unreachable() || !e.refused_query()) throw;
                reason = std::string("the server refused the cursor query: ") + e.what();
            }
            if (reason.empty()) reason = count_mismatch(*reconciled);
        }
        if (!reason.empty()) full_scan(cache_.begin_scan(type_, reason, now_));
    }

private:
    // The changes since the cursor, each page with its cursor in one transaction. Throws FetchError.
    void incremental(const std::optional<std::string>& cursor) {
        Position at;
        at.bound = cursor;
        Newest newest;
        scan(at, newest, [&](const Page& page, const Position& after, bool last) {
            // Sorted pages: nothing older than the newest received can still be waiting. Otherwise the
            // cursor waits for the last page.
            std::optional<std::string> c;
            if (newest.text && (!after.follow_links || last)) c = newest.text;
            cache_.apply_page(type_, changed(page.items), {}, c, now_);
        });
    }

    [[nodiscard]] std::string window_filter() const {
        if (window_from_.empty()) return "";
        return "&start=ge" + window_from_ + "&start=lt" + window_to_;
    }

    [[nodiscard]] std::string search_url(const std::optional<std::string>& bound) const {
        std::string url =
            base_ + "/" + type_ + "?_count=" + std::to_string(page_size_) + "&_sort=_lastUpdated";
        if (bound) url += "&_lastUpdated=ge" + url_encode(*bound);
        return url + window_filter();
    }

    [[nodiscard]] std::string origin() const {
        const auto scheme = base_.find("://");
        if (scheme == std::string::npos) return base_;
        const auto path = base_.find('/', scheme + 3);
        return path == std::string::npos ? base_ : base_.substr(0, path);
    }

    // GET one search page (or count); throws FetchError when there is no usable page.
    Page fetch(const std::string& url, bool count_as_page = true) {
        if (requests_left_ <= 0) {
            // An incremental download resumes from its cursor next run, a full scan from its saved progress.
            std::string what = "stopped after " + std::to_string(settings_.max_pages_per_type) +
                               " requests in this run (max_pages_per_type); ";
            if (scan_) {
                const auto seen = cache_.seen_count(type_, scan_->scan_id);
                what += "the full scan continues in the next run (" + std::to_string(seen) +
                        (scan_->expected ? " of ~" + std::to_string(*scan_->expected) : std::string()) +
                        " seen so far" + (scan_->listed ? ", checking the ids not seen" : "") + ")";
            } else {
                what += "the rest follows in the next run";
            }
            throw FetchError(what, 0, false);
        }
        --requests_left_;
        HttpRequest request;
        request.url = url;
        request.headers = {{"Accept", kFhirJson}};
        const HttpResponse response = transport_.send(request);
        const std::string where = " (GET " + url + ")";
        if (response.error != TransportError::None) {
            const bool offline =
                response.error == TransportError::Connect || response.error == TransportError::Timeout;
            throw FetchError(transport_text(response) + where, 0, offline);
        }
        if (response.status != 200) {
            const std::string text = operation_outcome_text(response.body);
            throw FetchError("HTTP " + std::to_string(response.status) + (text.empty() ? "" : ": " + text) +
                                 where,
                             response.status, false);
        }
        Page page = parse(response.body, where);
        if (count_as_page) ++out_.pages;
        return page;
    }

    [[noreturn]] static void malformed(const std::string& why, const std::string& where) {
        throw FetchError("malformed page from the HIS, nothing of it was stored: " + why + where, 200, false);
    }

    Page parse(const std::string& body, const std::string& where) const {
        const json bundle = json::parse(body, nullptr, false);
        if (bundle.is_discarded() || !bundle.is_object()) malformed("not JSON", where);
        if (json_text(bundle, "resourceType") != "Bundle")
            malformed("not a Bundle but '" + json_text(bundle, "resourceType") + "'", where);
        if (bundle.contains("type") && json_text(bundle, "type") != "searchset")
            malformed("a Bundle of type '" + json_text(bundle, "type") + "', not searchset", where);
        Page page;
        if (const auto t = bundle.find("total"); t != bundle.end()) {
            if (!t->is_number_integer() || t->get<std::int64_t>() < 0)
                malformed("total is not a count", where);
            page.total = t->get<std::int64_t>();
        }
        if (const auto links = bundle.find("link"); links != bundle.end()) {
            if (!links->is_array()) malformed("link is not an array", where);
            for (const auto& link : *links)
                if (json_text(link, "relation") == "next") {
                    const std::string next = json_text(link, "url");
                    if (next.empty()) malformed("a next link without url", where);
                    if (next.rfind(origin() + "/", 0) != 0)
                        malformed("the next link leaves " + origin() + ": " + next, where);
                    page.next = next;
                }
        }
        const auto entries = bundle.find("entry");
        if (entries == bundle.end()) return page;
        if (!entries->is_array()) malformed("entry is not an array", where);
        std::size_t k = 0;
        for (const auto& entry : *entries) {
            const std::string at = "entry " + std::to_string(k++) + ": ";
            if (!entry.is_object()) malformed(at + "not an object", where);
            const std::string mode = entry.contains("search") ? json_text(entry["search"], "mode") : "";
            if (mode == "outcome" || mode == "include") continue; // not a match: warnings, _include
            const auto resource = entry.find("resource");
            if (resource == entry.end() || !resource->is_object()) malformed(at + "no resource", where);
            std::string why;
            auto row = to_reference_row(type_, *resource, why);
            if (!row) malformed(at + why, where);
            const auto ns = instant_ns(row->last_updated);
            if (!ns) malformed(at + "meta.lastUpdated '" + row->last_updated + "' is not an instant", where);
            page.items.push_back(Item{std::move(*row), *ns});
        }
        return page;
    }

    // The rows of `items` that differ from the cache (one per id: a page's last wins); counts them.
    std::vector<store::ReferenceRow> changed(const std::vector<Item>& items) {
        std::vector<store::ReferenceRow> rows;
        std::map<std::string, std::size_t> index;
        for (const auto& item : items) {
            if (const auto it = index.find(item.row.id); it != index.end()) {
                rows[it->second] = item.row;
                continue;
            }
            index.emplace(item.row.id, rows.size());
            rows.push_back(item.row);
        }
        std::vector<store::ReferenceRow> out;
        for (auto& row : rows) {
            const auto cached = cache_.find(type_, row.id);
            if (cached && *cached == row) {
                if (counted_.insert(row.id).second) ++out_.unchanged; // once per run, not per page overlap
            } else {
                counted_.insert(row.id);
                ++out_.fetched;
                out.push_back(std::move(row));
            }
        }
        return out;
    }

    // Pages through the search from `at` and hands every page to store(page, position after it, last) as it
    // comes; `at` follows. newest: the newest meta.lastUpdated received. A 4xx to the first query propagates
    // (the caller decides).
    template <class Store> void scan(Position& at, Newest& newest, Store&& store) {
        // No bound (or one this code cannot read): everything is newer.
        std::int64_t bound_ns = std::numeric_limits<std::int64_t>::min();
        if (at.bound) bound_ns = instant_ns(*at.bound).value_or(bound_ns);
        std::string url = at.by_link && at.link ? *at.link : search_url(at.bound);
        std::set<std::string> followed;
        for (;;) {
            Page page;
            try {
                page = fetch(url);
            } catch (const FetchError& e) {
                // A keyset query refused after the first page: go on with the previous page's link.
                if (!e.refused_query() || !at.link || at.follow_links) throw;
                at.follow_links = at.by_link = true;
                url = *at.link;
                continue;
            }
            bool sorted = true;
            std::int64_t page_max = std::numeric_limits<std::int64_t>::min();
            std::optional<std::string> page_max_text; // set: the page has an item
            for (const auto& item : page.items) {
                if (item.updated_ns < bound_ns || item.updated_ns < page_max) sorted = false;
                if (!page_max_text || item.updated_ns > page_max)
                    page_max = item.updated_ns, page_max_text = item.row.last_updated;
                newest.see(item);
            }
            if (!sorted) at.follow_links = true;
            const bool last = !page.next;
            bool circle = false;
            if (!last) {
                at.link = page.next;
                if (!at.follow_links && page_max_text && page_max > bound_ns) {
                    at.bound = page_max_text, bound_ns = page_max, at.by_link = false;
                    url = search_url(at.bound);
                } else {
                    circle = !followed.insert(*page.next).second;
                    at.by_link = true;
                    url = *page.next;
                }
            }
            store(page, at, last);
            if (last) return;
            if (circle)
                throw FetchError("the HIS's next links go round in a circle at " + *page.next, 0, false);
        }
    }

    // After an incremental run: why a full scan is needed, or "" if the counts agree (or are unknown).
    std::string count_mismatch(core::UnixMillis reconciled) {
        if (!settings_.count_check || now_ - reconciled < settings_.count_check_min_gap_ms) return "";
        Page page;
        try {
            page = fetch(base_ + "/" + type_ + "?_summary=count" + window_filter(), false);
        } catch (const FetchError& e) {
            if (e.unreachable()) throw;
            return ""; // no count from this server: the periodic reconciliation has to do
        }
        if (!page.total) return "";
        const std::int64_t local = window_from_.empty()
                                       ? cache_.count(type_)
                                       : cache_.count_starting(type_, window_from_, window_to_);
        if (local == *page.total) return "";
        return "count mismatch: the server holds " + std::to_string(*page.total) + ", the cache " +
               std::to_string(local);
    }

    // Why a full scan in progress must start over, or "" if it can continue.
    [[nodiscard]] std::string too_old(const store::ReferenceScan& scan) const {
        if (now_ < scan.started_at) return "restarted: the unfinished full scan started in the future";
        if (scan.by_link && scan.link && scan.link->rfind(origin() + "/", 0) != 0)
            return "restarted: the unfinished full scan was on another server";
        if (now_ - scan.started_at < settings_.reconcile_every_ms) return "";
        return "restarted: the unfinished full scan from " +
               std::to_string((now_ - scan.started_at) / 60000) + " minutes ago was too old";
    }

    // Lists every resource of the type (the Slot window applied), continuing `state` from where an earlier
    // run stopped, each page stored with the scan's progress; then checks the cached ids the scan did not
    // receive and removes those the server no longer has; then records the reconciliation.
    void full_scan(store::ReferenceScan started) {
        out_.full_scan = true;
        out_.full_scan_reason = started.reason;
        scan_ = std::move(started);
        store::ReferenceScan& state = *scan_;
        Newest newest;
        if (state.newest)
            if (const auto ns = instant_ns(*state.newest)) newest.text = state.newest, newest.ns = *ns;
        if (!state.listed) {
            Position at{state.bound, state.link, state.by_link, state.follow_links};
            const std::int64_t pages_before = state.pages;
            try {
                scan(at, newest, [&](const Page& page, const Position& after, bool last) {
                    store::ReferenceScan next = state;
                    if (next.pages == 0 && page.total) next.expected = page.total;
                    next.bound = after.bound, next.link = after.link, next.by_link = after.by_link;
                    next.follow_links = after.follow_links;
                    next.newest = newest.text;
                    next.listed = last;
                    ++next.pages;
                    std::vector<std::string> seen;
                    seen.reserve(page.items.size());
                    for (const auto& item : page.items)
                        seen.push_back(item.row.id);
                    cache_.apply_scan_page(next, changed(page.items), seen, {}, now_);
                    state = std::move(next);
                });
            } catch (const FetchError& e) {
                // The server refuses to go on from where an earlier run stopped (an expired link, say):
                // start over in the next run rather than fail the same way in every run.
                if (!e.refused_query() || pages_before == 0 || state.pages != pages_before) throw;
                cache_.begin_scan(type_, state.reason, now_);
                throw FetchError(std::string(e.what()) +
                                     "; the server refused to continue the full scan where it stopped, so it "
                                     "starts over in the next run",
                                 0, false);
            }
        }

        // Cached but not seen: ask for exactly those ids (same filters) before removing any. Each answer is
        // stored at once (present ones marked seen, absent ones removed), so a stop here loses nothing.
        const std::vector<std::string> missing = cache_.unseen_ids(type_, state.scan_id);
        const auto chunk = static_cast<std::size_t>(std::min(kMaxIdsPerCheck, page_size_));
        for (std::size_t from = 0; from < missing.size(); from += chunk) {
            const auto to = std::min(missing.size(), from + chunk);
            std::string ids;
            for (std::size_t i = from; i < to; ++i)
                ids += (ids.empty() ? "" : ",") + missing[i];
            const Page page = fetch(base_ + "/" + type_ + "?_id=" + url_encode(ids) +
                                    "&_count=" + std::to_string(chunk) + window_filter());
            if (page.next)
                throw FetchError("the HIS paged an id check of " + std::to_string(to - from) +
                                     " ids; nothing was removed",
                                 0, false);
            std::set<std::string> present;
            std::vector<std::string> seen;
            for (const auto& item : page.items)
                if (present.insert(item.row.id).second) seen.push_back(item.row.id);
            std::vector<std::string> removed;
            for (std::size_t i = from; i < to; ++i)
                if (!present.count(missing[i])) removed.push_back(missing[i]);
            cache_.apply_scan_page(state, changed(page.items), seen, removed, now_);
            out_.removed += static_cast<int>(removed.size());
        }
        cache_.finish_reconciliation(type_, {}, {}, newest.text, now_);
    }

    HttpTransport& transport_;
    const std::string& base_;
    store::ReferenceCache& cache_;
    const ReferenceDownloadSettings& settings_;
    core::UnixMillis now_;
    const std::string& type_;
    TypeDownload& out_;
    int page_size_;
    int requests_left_;
    std::set<std::string> counted_;            // ids counted in this run
    std::optional<store::ReferenceScan> scan_; // the full scan running (its latest stored progress)
    std::string window_from_;                  // Slot only: yyyy-mm-dd, inclusive
    std::string window_to_;                    // Slot only: yyyy-mm-dd, exclusive
};

} // namespace

bool DownloadResult::ok() const {
    return std::all_of(types.begin(), types.end(), [](const TypeDownload& t) { return t.ok(); });
}

const TypeDownload* DownloadResult::find(const std::string& resource_type) const {
    for (const auto& t : types)
        if (t.resource_type == resource_type) return &t;
    return nullptr;
}

std::optional<store::ReferenceRow> to_reference_row(const std::string& resource_type, const json& resource,
                                                    std::string& why) {
    if (!resource.is_object()) {
        why = "the resource is not a JSON object";
        return std::nullopt;
    }
    store::ReferenceRow row;
    row.resource_type = json_text(resource, "resourceType");
    if (row.resource_type != resource_type) {
        why = "a '" + row.resource_type + "' where a " + resource_type + " was expected";
        return std::nullopt;
    }
    row.id = json_text(resource, "id");
    if (!is_fhir_id(row.id)) {
        why = row.id.empty() ? "a " + resource_type + " without id" : "invalid id '" + row.id + "'";
        return std::nullopt;
    }
    const json meta = resource.contains("meta") ? resource["meta"] : json();
    row.version_id = json_text(meta, "versionId");
    row.last_updated = json_text(meta, "lastUpdated");
    if (row.last_updated.empty()) {
        why = resource_type + "/" + row.id + " has no meta.lastUpdated";
        return std::nullopt;
    }
    if (const auto active = resource.find("active"); active != resource.end() && active->is_boolean())
        row.status = active->get<bool>() ? "active" : "inactive";
    else
        row.status = json_text(resource, "status"); // Slot, Location
    if (resource_type == "Slot") {
        row.starts_at = json_text(resource, "start");
        row.ends_at = json_text(resource, "end");
        row.parent_ref = reference_at(resource, "schedule");
    } else if (resource_type == "PractitionerRole") {
        row.parent_ref = reference_at(resource, "practitioner");
    } else if (resource_type == "Schedule") {
        row.parent_ref = reference_at(resource, "actor");
    } else if (resource_type == "HealthcareService") {
        row.parent_ref = reference_at(resource, "providedBy");
    } else if (resource_type == "Location") {
        row.parent_ref = reference_at(resource, "managingOrganization");
    } else if (resource_type == "Organization") {
        row.parent_ref = reference_at(resource, "partOf");
    }
    row.json = resource.dump();
    return row;
}

ReferenceDownloader::ReferenceDownloader(HttpTransport& transport, std::string base_url, store::Database& db,
                                         ReferenceDownloadSettings settings)
    : transport_(transport), base_(without_trailing_slashes(std::move(base_url))), cache_(db),
      settings_(std::move(settings)) {}

DownloadResult ReferenceDownloader::run_once(core::UnixMillis now) {
    DownloadResult result;
    std::string offline; // set once the HIS did not answer at all: the other types are not attempted
    for (const auto& type : settings_.resource_types) {
        TypeDownload& out = result.types.emplace_back();
        out.resource_type = type;
        if (!offline.empty()) {
            out.error = "not attempted, the HIS is unreachable: " + offline;
            continue;
        }
        try {
            TypeSync(transport_, base_, cache_, settings_, now, type, out).run();
        } catch (const FetchError& e) {
            out.error = e.what();
            if (e.unreachable()) offline = e.what();
        } catch (const std::exception& e) {
            out.error = e.what(); // the local database (StoreError), or a bad type name
        }
    }
    return result;
}

} // namespace kiosk::sync
