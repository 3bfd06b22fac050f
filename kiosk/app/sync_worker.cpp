#include "kiosk/app/sync_worker.hpp"

#include "kiosk/core/clock.hpp"
#include "kiosk/core/text.hpp"
#include "kiosk/his/curl_transport.hpp"
#include "kiosk/his/fhir_his.hpp"
#include "kiosk/his/reference_download.hpp"
#include "kiosk/store/database.hpp"

#include <spdlog/spdlog.h>

#include <random>

namespace kiosk::app {

SyncWorker::SyncWorker(std::filesystem::path db_file, HisConnection his, StatusCallback on_status)
    : db_file_(std::move(db_file)), his_(std::move(his)), on_status_(std::move(on_status)),
      thread_([this] { run(); }) {}

SyncWorker::~SyncWorker() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
}

std::uint64_t SyncWorker::kick() {
    std::uint64_t n = 0;
    {
        std::lock_guard lock(mutex_);
        kicked_ = true;
        n = ++kicks_;
    }
    cv_.notify_one();
    return n;
}

void SyncWorker::report(his::Exchange exchange) {
    {
        std::lock_guard lock(mutex_);
        reports_.push_back(exchange);
    }
    cv_.notify_one();
}

void SyncWorker::run() {
    const auto stopping = [this] { return his_.transport.stop != nullptr && his_.transport.stop->load(); };
    try {
        store::Database db = store::Database::open(db_file_);
        core::SystemClock clock;
        his::CurlTransport curl(his_.transport);
        // Every exchange of this thread (deliveries, reference downloads, token fetches) tells the status
        // whether the HIS answers; the engine exists only below, hence the pointer.
        his::SyncEngine* observer = nullptr;
        his::ObservedTransport observed(curl, [&observer](his::Exchange e) {
            if (observer) observer->observe(e);
        });
        std::optional<his::OAuth2Transport> oauth2;
        if (his_.oauth2) oauth2.emplace(observed, *his_.oauth2, clock);
        his::HttpTransport& transport = oauth2 ? static_cast<his::HttpTransport&>(*oauth2) : observed;
        his::FhirHis fhir(transport, his_.base_url, his_.identifier_base);
        his::SyncSettings settings = his_.sync;
        settings.stop = his_.transport.stop;
        his::SyncEngine engine(db, fhir, clock, settings, std::random_device{}());
        observer = &engine;
        his::ReferenceDownloader downloader(transport, his_.base_url, db);
        core::UnixMillis next_download = 0;
        spdlog::info("HIS sync to {} started{}: {} records per request, retries after {} s up to {} s, "
                     "reference data every {} min",
                     his_.base_url, oauth2 ? " (OAuth2 client credentials)" : "", settings.batch_size,
                     std::chrono::duration_cast<std::chrono::seconds>(settings.backoff_base).count(),
                     std::chrono::duration_cast<std::chrono::seconds>(settings.backoff_max).count(),
                     his_.download_every.count());
        his::SyncStatus shown = engine.status();
        std::uint64_t seen = 0;       // kicks before the current pass began
        std::uint64_t shown_seen = 0; // ... as last told
        on_status_(shown, shown_seen);
        // Tells the UI (and the log, when the link changes) what changed since it was last told.
        const auto publish = [&] {
            const his::SyncStatus st = engine.status();
            if (st == shown && seen == shown_seen) return;
            if (st.link != shown.link || st.last_error != shown.last_error)
                spdlog::info("HIS {}: {} waiting, {} quarantined{}{}", his::link_name(st.link), st.waiting,
                             st.quarantined, st.last_error.empty() ? "" : ", last error: ",
                             core::redact_numbers(st.last_error));
            shown = st;
            shown_seen = seen;
            on_status_(st, seen);
        };
        for (;;) {
            {
                std::vector<his::Exchange> reports;
                {
                    std::lock_guard lock(mutex_);
                    reports.swap(reports_);
                    seen = kicks_; // what was stored before this pass is in it
                }
                for (const auto e : reports)
                    engine.observe(e);
            }
            engine.run_once();
            publish();
            if (stopping()) return;
            auto now = clock.now();
            if (now >= next_download) {
                const his::DownloadResult r = downloader.run_once(now);
                if (stopping()) return; // what was cut short is no error worth a warning
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
                const auto every =
                    std::chrono::duration_cast<std::chrono::milliseconds>(his_.download_every).count();
                next_download = clock.now() + (r.ok() ? every : std::min<core::UnixMillis>(every, 60'000));
                now = clock.now();
                publish();
            }
            // Sleep until the next retry or download is due, a new record arrives, or a minute passes.
            auto wake = std::min(now + 60'000, next_download);
            if (const auto due = engine.next_due_at()) wake = std::min(wake, std::max(*due, now));
            std::unique_lock lock(mutex_);
            cv_.wait_for(lock, std::chrono::milliseconds(std::max<core::UnixMillis>(wake - now, 0)),
                         [this] { return stopping_ || kicked_ || !reports_.empty(); });
            if (stopping_) return;
            kicked_ = false;
        }
    } catch (const std::exception& e) {
        // The kiosk goes on serving patients from the outbox; the sync needs staff (logged, shown in status).
        spdlog::error("HIS sync stopped: {}", e.what());
        // Nothing goes to the HIS from now on: the indicator says so, with the time (never without one).
        his::SyncStatus st;
        st.last_error = std::string("sync stopped: ") + e.what();
        st.link = his::HisLink::Offline;
        st.offline_since = core::SystemClock().now();
        std::uint64_t seen = 0;
        {
            std::lock_guard lock(mutex_);
            seen = kicks_;
        }
        on_status_(st, seen);
    }
}

} // namespace kiosk::app
