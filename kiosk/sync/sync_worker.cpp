#include "kiosk/sync/sync_worker.hpp"

#include "kiosk/core/clock.hpp"
#include "kiosk/core/text.hpp"
#include "kiosk/his/curl_transport.hpp"
#include "kiosk/his/fhir_his.hpp"
#include "kiosk/store/database.hpp"

#include <spdlog/spdlog.h>

#include <random>

namespace kiosk::sync {
namespace {

// A status that differs only in the exchange counters does not wake the UI: every page of a reference
// download is an exchange, and the indicator shows none of the counters.
bool same_for_the_indicator(SyncStatus a, const SyncStatus& b) {
    a.exchanges = b.exchanges;
    return a == b;
}

} // namespace

SyncWorker::SyncWorker(std::filesystem::path db_file, HisConnection his, StatusCallback on_status)
    : db_file_(std::move(db_file)), his_(std::move(his)), on_status_(std::move(on_status)) {
    his_.sync.stop = his_.transport.stop;
    upload_ = std::thread([this] { upload_loop(); });
    download_ = std::thread([this] { download_loop(); });
}

SyncWorker::~SyncWorker() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    upload_cv_.notify_one();
    download_cv_.notify_one();
    upload_.join();
    download_.join();
}

std::uint64_t SyncWorker::kick() {
    std::uint64_t n = 0;
    {
        std::lock_guard lock(mutex_);
        kicked_ = true;
        n = ++kicks_;
    }
    upload_cv_.notify_one();
    return n;
}

void SyncWorker::report(his::Exchange exchange) {
    {
        std::lock_guard lock(mutex_);
        reports_.push_back(exchange);
    }
    upload_cv_.notify_one();
}

bool SyncWorker::stopping() const {
    return his_.transport.stop != nullptr && his_.transport.stop->load();
}

std::unique_ptr<his::HisChannel> SyncWorker::make_channel(std::function<void(his::Exchange)> observer,
                                                          const core::Clock& clock) const {
    return std::make_unique<his::HisChannel>(
        his_.make_transport ? his_.make_transport() : std::make_unique<his::CurlTransport>(his_.transport),
        std::move(observer), his_.oauth2, clock);
}

std::optional<bool> SyncWorker::wait(std::condition_variable& cv, std::chrono::milliseconds ms,
                                     const std::function<bool()>& woken) {
    std::unique_lock lock(mutex_);
    const bool ended =
        cv.wait_for(lock, std::max(ms, std::chrono::milliseconds(0)), [&] { return stopping_ || woken(); });
    if (stopping_) return std::nullopt;
    return ended;
}

void SyncWorker::upload_loop() {
    core::SystemClock clock;
    std::mt19937_64 rng(std::random_device{}());
    // Every exchange of this thread (deliveries, token fetches) tells the status whether the HIS answers;
    // the engine exists only once the database is open, hence the pointer.
    SyncEngine* observer = nullptr;
    std::unique_ptr<his::HisChannel> channel;
    std::optional<his::FhirHis> fhir;
    std::optional<store::Database> db;
    std::optional<SyncEngine> engine;

    SyncStatus shown;
    bool told = false;
    std::uint64_t seen = 0;       // kicks before the current pass began
    std::uint64_t shown_seen = 0; // ... as last told
    // Tells the UI (and the log, when the link or the error changes) what changed since it was last told.
    // kicks_seen: a pass that failed did not count the records of the kicks it saw, so it tells the old
    // number (the script's wait-sync must not pass on it).
    const auto publish = [&](const SyncStatus& st, std::uint64_t kicks_seen) {
        if (told && same_for_the_indicator(st, shown) && kicks_seen == shown_seen) return;
        if (!told || st.link != shown.link || st.last_error != shown.last_error)
            spdlog::info("HIS {}: {} waiting, {} quarantined{}{}", link_name(st.link), st.waiting,
                         st.quarantined,
                         st.last_error.empty() ? "" : ", last error: ", core::redact_numbers(st.last_error));
        told = true;
        shown = st;
        shown_seen = kicks_seen;
        on_status_(st, kicks_seen);
    };

    int failures = 0; // passes failed in a row
    bool pass_needed = true;
    for (;;) {
        std::vector<his::Exchange> reports;
        {
            std::lock_guard lock(mutex_);
            reports.swap(reports_);
            if (kicked_) pass_needed = true;
            kicked_ = false;
            seen = kicks_; // what was stored before this pass is in it
        }
        std::chrono::milliseconds sleep{60'000};
        try {
            if (!engine) {
                if (!channel)
                    channel = make_channel(
                        [&observer](his::Exchange e) {
                            if (observer) observer->observe(e);
                        },
                        clock);
                if (!fhir) fhir.emplace(channel->transport(), his_.base_url, his_.identifier_base);
                db.emplace(store::Database::open(db_file_));
                engine.emplace(*db, *fhir, clock, his_.sync, rng());
                observer = &*engine;
                // At once, before the first delivery (which may wait for a HIS that does not answer): an
                // outage remembered from before a restart shows from the start.
                publish(engine->status(), shown_seen);
                spdlog::info(
                    "HIS sync to {} started{}: {} records per request, retries after {} s up to {} s, "
                    "reference data every {} min",
                    his_.base_url, his_.oauth2 ? " (OAuth2 client credentials)" : "", his_.sync.batch_size,
                    std::chrono::duration_cast<std::chrono::seconds>(his_.sync.backoff_base).count(),
                    std::chrono::duration_cast<std::chrono::seconds>(his_.sync.backoff_max).count(),
                    his_.download_every.count());
                pass_needed = true;
            }
            for (const auto e : reports)
                engine->observe(e);
            if (pass_needed || failures > 0) {
                engine->run_once();
                pass_needed = false;
                failures = 0;
                publish(engine->status(), seen);
            } else {
                // Woken by exchanges of other threads only: they change the link, not the outbox.
                publish(engine->status(), shown_seen);
            }
            if (stopping()) return;
            // Sleep until the next retry is due, a new record arrives, or a minute passes.
            const auto now = clock.now();
            if (const auto due = engine->next_due_at())
                sleep = std::min(sleep, std::chrono::milliseconds(std::max<core::UnixMillis>(*due - now, 0)));
        } catch (const std::exception& e) {
            if (stopping()) return;
            ++failures;
            // Store, transport and mapping errors alike: the records stay in the outbox, and the next pass
            // tries again after the backoff. The database is opened again only if it never opened.
            const std::string error = std::string(engine ? "sync pass failed: " : "sync cannot start: ") +
                                      core::redact_numbers(e.what());
            spdlog::error("HIS {} (attempt {}, retrying)", error, failures);
            SyncStatus st;
            if (engine) {
                engine->pass_failed(error);
                st = engine->status();
            } else {
                st.last_error = error;
                st.link = HisLink::SyncFailing;
            }
            publish(st, shown_seen);
            sleep = backoff_delay(his_.sync, failures, rng);
        }
        // A kick ends the wait (a new record, also during a backoff: the UI just wrote to the database);
        // exchanges reported by other threads end it too, but only to update the link.
        const auto woken =
            wait(upload_cv_, sleep, [&] { return kicked_ || (failures == 0 && !reports_.empty()); });
        if (!woken) return;
        if (!*woken) pass_needed = true; // the timer ran out: a retry is due, or the minute passed
    }
}

void SyncWorker::download_loop() {
    core::SystemClock clock;
    std::mt19937_64 rng(std::random_device{}());
    std::unique_ptr<his::HisChannel> channel;
    std::optional<store::Database> db;
    std::optional<sync::ReferenceDownloader> downloader;
    const auto every = std::chrono::duration_cast<std::chrono::milliseconds>(his_.download_every);
    int failures = 0;
    for (;;) {
        std::chrono::milliseconds sleep = every;
        try {
            if (!downloader) {
                // Its exchanges count for the status like the upload thread's (queued for that thread).
                if (!channel) channel = make_channel([this](his::Exchange e) { report(e); }, clock);
                db.emplace(store::Database::open(db_file_));
                downloader.emplace(channel->transport(), his_.base_url, *db, his_.download);
            }
            const sync::DownloadResult r = downloader->run_once(clock.now());
            if (stopping()) return; // what was cut short is no error worth a warning
            failures = 0;
            int fetched = 0, removed = 0;
            for (const auto& t : r.types) {
                fetched += t.fetched;
                removed += t.removed;
                if (!t.ok())
                    spdlog::warn("reference download of {}: {}", t.resource_type,
                                 core::redact_numbers(t.error));
            }
            if (fetched || removed)
                spdlog::info("reference data: {} new or changed, {} removed", fetched, removed);
            if (!r.ok()) sleep = std::min(every, std::chrono::milliseconds(60'000));
        } catch (const std::exception& e) {
            if (stopping()) return;
            ++failures;
            spdlog::error("reference download failed (attempt {}, retrying): {}", failures,
                          core::redact_numbers(e.what()));
            sleep = backoff_delay(his_.sync, failures, rng);
        }
        if (!wait(download_cv_, sleep, [] { return false; })) return;
    }
}

} // namespace kiosk::sync
