#include "kiosk/app/sync_worker.hpp"

#include "kiosk/core/clock.hpp"
#include "kiosk/his/curl_transport.hpp"
#include "kiosk/his/fhir_his.hpp"
#include "kiosk/store/database.hpp"

#include <spdlog/spdlog.h>

#include <random>

namespace kiosk::app {

SyncWorker::SyncWorker(std::filesystem::path db_file, std::string base_url, his::TransportOptions transport,
                       std::function<void(const his::SyncStatus&)> on_status)
    : db_file_(std::move(db_file)), base_url_(std::move(base_url)), transport_options_(std::move(transport)),
      on_status_(std::move(on_status)), thread_([this] { run(); }) {}

SyncWorker::~SyncWorker() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
}

void SyncWorker::kick() {
    {
        std::lock_guard lock(mutex_);
        kicked_ = true;
    }
    cv_.notify_one();
}

void SyncWorker::run() {
    try {
        store::Database db = store::Database::open(db_file_);
        his::CurlTransport transport(transport_options_);
        his::FhirHis fhir(transport, base_url_);
        core::SystemClock clock;
        his::SyncEngine engine(db, fhir, clock, his::SyncSettings{}, std::random_device{}());
        spdlog::info("HIS sync to {} started", base_url_);
        for (;;) {
            const his::SyncStatus before = engine.status();
            const his::SyncStatus st = engine.run_once();
            if (st.online != before.online || st.last_error != before.last_error)
                spdlog::info("HIS {}: {} waiting, {} quarantined{}{}", st.online ? "online" : "offline",
                             st.waiting, st.quarantined,
                             st.last_error.empty() ? "" : ", last error: ", st.last_error);
            on_status_(st);
            // Sleep until the next retry is due, a new record arrives, or a minute passes (a status refresh).
            const auto now = clock.now();
            auto wake = now + 60'000;
            if (const auto due = engine.next_due_at()) wake = std::min(wake, std::max(*due, now));
            std::unique_lock lock(mutex_);
            cv_.wait_for(lock, std::chrono::milliseconds(wake - now),
                         [this] { return stopping_ || kicked_; });
            if (stopping_) return;
            kicked_ = false;
        }
    } catch (const std::exception& e) {
        // The kiosk goes on serving patients from the outbox; the sync needs staff (logged, shown in status).
        spdlog::error("HIS sync stopped: {}", e.what());
        his::SyncStatus st;
        st.last_error = std::string("sync stopped: ") + e.what();
        on_status_(st);
    }
}

} // namespace kiosk::app
