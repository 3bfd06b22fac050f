#pragma once
// The kiosk's workers and what runs on them: the store worker (SQLite writes: tickets, registrations),
// the lookup worker (PatientFinder, with its own SQLite and HTTP connections) and the HIS sync. Each
// SQLite connection is opened and used on its own thread only. Implements the EffectRunner's ports.
#include "kiosk/app/effect_runner.hpp"
#include "kiosk/app/his_wiring.hpp"
#include "kiosk/app/work_queue.hpp"
#include "kiosk/core/clock.hpp"
#include "kiosk/sync/sync_worker.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>

namespace kiosk::app {

struct SiteConfig;

class Backend final : public TicketPort,
                      public RegistrarPort,
                      public PatientFinderPort,
                      public SyncKicker,
                      public BillsPort,
                      public PaymentLedgerPort {
public:
    // Starts opening the database on the store worker (the window comes up meanwhile).
    explicit Backend(const SiteConfig& config);
    Backend(const Backend&) = delete;
    Backend& operator=(const Backend&) = delete;
    // Aborts the HIS requests in flight, then finishes the queued writes.
    ~Backend() override;

    // Waits for the database; throws StartupError when it could not be opened.
    void wait_until_open();
    // Starts the sync (with a HIS) and the patient lookup. on_status: called on the sync thread.
    void start(const std::optional<HisWiring>& his, sync::SyncWorker::StatusCallback on_status);

    // Aborts every HIS transfer in flight once true (TransportOptions::stop); for HisWiring::from.
    [[nodiscard]] const std::atomic<bool>* stop_flag() const { return &his_stop_; }
    [[nodiscard]] Executor& store_worker() { return *worker_; }
    [[nodiscard]] Executor& lookup_worker() { return *lookup_worker_; }
    // Null without a HIS.
    [[nodiscard]] SyncKicker* sync_kicker() { return sync_ ? this : nullptr; }
    // Null without a HIS (no bills to ask for).
    [[nodiscard]] BillsPort* bills() { return sync_ ? this : nullptr; }

    // The ports (on their workers).
    core::Ticket issue(const core::Service& service, core::UnixMillis now,
                       const std::optional<core::PatientRef>& patient) override;
    Registered register_patient(const core::PatientDetails& details, core::UnixMillis now) override;
    ui::LookupOutcome find(ui::IdKind kind, const std::string& value) override;
    std::uint64_t kick() override;
    Answer payable_bills(const std::string& patient_his_id) override;
    Answer bills_by_id(const std::vector<std::string>& bill_ids) override;
    void record_payment(const ui::fx::RecordPayment& payment) override;
    void settle_payment(const ui::fx::SettlePayment& outcome) override;
    std::optional<Receipt> receipt_for(const std::string& bill_number) override;

    // How often the payments patients left waiting are asked about (sync::PaymentWatch).
    static constexpr std::chrono::seconds kPaymentWatchEvery{60};

private:
    struct Store;
    struct Lookup;
    struct Watch;

    [[nodiscard]] std::filesystem::path db_file() const; // <[storage] data_dir>/kiosk.db
    void start_payment_watch(const HisWiring& his);

    const SiteConfig& config_;
    // Set when the kiosk stops (SIGTERM, quit): every HIS transfer in flight is aborted at once
    // instead of holding the exit until its timeout.
    std::atomic<bool> his_stop_{false};
    std::future<void> opened_;

    std::unique_ptr<Watch> watch_;   // the payment watch's thread; null without a HIS and [payment]
    std::unique_ptr<Lookup> lookup_; // touched only on the lookup worker thread
    std::unique_ptr<Worker> lookup_worker_;

    // Declared last: destroyed first (the worker finishes pending writes before the store goes away).
    std::unique_ptr<Store> store_; // touched only on the worker thread
    std::unique_ptr<Worker> worker_;
    std::unique_ptr<sync::SyncWorker> sync_; // the HIS sync; null when no HIS is configured
};

} // namespace kiosk::app
