#include "kiosk/app/backend.hpp"

#include "kiosk/app/config.hpp"
#include "kiosk/app/patient_finder.hpp"
#include "kiosk/app/startup_error.hpp"
#include "kiosk/store/bill_cache.hpp"
#include "kiosk/store/database.hpp"
#include "kiosk/store/patient_registry.hpp"
#include "kiosk/store/payment_ledger.hpp"
#include "kiosk/store/ticket_store.hpp"
#include "kiosk/sync/payment_watch.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace kiosk::app {

// The SQLite side, owned by the store worker thread.
struct Backend::Store {
    store::Database db;
    store::TicketStore tickets;
    store::PatientRegistry patients;
    store::PaymentLedger payments;
    explicit Store(store::Database&& d) : db(std::move(d)), tickets(db), patients(db), payments(db) {}
};

// The payment watch: its own thread, SQLite connection and HIS connection; asks about the payments patients
// left waiting every kPaymentWatchEvery, and forgets settled payments with the patient retention.
struct Backend::Watch {
    std::mutex mutex;
    std::condition_variable wake;
    bool stop = false;
    std::thread thread;

    ~Watch() {
        {
            const std::lock_guard lock(mutex);
            stop = true;
        }
        wake.notify_all();
        if (thread.joinable()) thread.join();
    }
    // Waits `d` or until stopped; false once stopped.
    bool wait(std::chrono::milliseconds d) {
        std::unique_lock lock(mutex);
        return !wake.wait_for(lock, d, [this] { return stop; });
    }
};

// Patient lookups, owned by the lookup worker thread: its own SQLite connection and, with a HIS, its own
// HTTP connection (HisWiring::make_lookup).
struct Backend::Lookup {
    explicit Lookup(store::Database&& d) : db(std::move(d)), bills(db) {}
    store::Database db;
    store::BillCache bills;
    core::SystemClock clock;
    std::unique_ptr<LookupHis> his;
    std::optional<PatientFinder> finder;
    core::UnixMillis retention_done_at = 0;

    // Forgets old patient data at most once a day (on start and before lookups).
    void retention(int days) {
        constexpr core::UnixMillis kDay = 24LL * 60 * 60 * 1000;
        const core::UnixMillis now = clock.now();
        if (retention_done_at != 0 && now - retention_done_at < kDay) return;
        retention_done_at = now;
        if (const auto n = finder->forget_older_than(now - days * kDay))
            spdlog::info("forgot {} patient record(s) older than {} days", n, days);
        if (const int n = bills.forget_older_than(now - days * kDay))
            spdlog::info("forgot the bills of {} patient(s) listed more than {} days ago", n, days);
    }
};

std::filesystem::path Backend::db_file() const {
    return config_.storage.data_dir / "kiosk.db";
}

Backend::Backend(const SiteConfig& config) : config_(config), worker_(std::make_unique<Worker>()) {
    auto opened = std::make_shared<std::promise<void>>();
    opened_ = opened->get_future();
    worker_->post([this, opened] {
        try {
            store_ = std::make_unique<Store>(store::Database::open(db_file()));
            opened->set_value();
        } catch (...) {
            opened->set_exception(std::current_exception());
        }
    });
}

Backend::~Backend() {
    his_stop_.store(true);  // aborts the HIS requests in flight: the workers below then end at once
    watch_.reset();         // after the pass in flight
    lookup_worker_.reset(); // after the lookup in flight (aborted by his_stop_)
    lookup_.reset();
    sync_.reset();   // stops after the request in flight
    worker_.reset(); // joins after the queued writes
    store_.reset();
}

void Backend::wait_until_open() {
    try {
        opened_.get();
    } catch (const store::StoreError& e) {
        throw StartupError(e.what());
    }
    const auto file = db_file().string();
    if (store_->db.checked_after_unclean_shutdown())
        spdlog::warn("database {}: the kiosk did not shut down cleanly last time (power cut, crash or kill); "
                     "the full integrity check passed",
                     file);
    spdlog::info("database {} ready", file);
}

void Backend::start(const std::optional<HisWiring>& his, sync::SyncWorker::StatusCallback on_status) {
    if (his)
        sync_ = std::make_unique<sync::SyncWorker>(db_file(), his->sync_connection(), std::move(on_status));
    else
        spdlog::info("no HIS configured ([his] base_url): records stay in the outbox");

    if (his && config_.payment.enabled()) start_payment_watch(*his);

    lookup_worker_ = std::make_unique<Worker>();
    lookup_worker_->post([this, his] {
        try {
            auto l = std::make_unique<Lookup>(store::Database::open(db_file()));
            if (his)
                // A lookup that got an answer proves the HIS reachable for the indicator too.
                l->his = his->make_lookup(l->db, l->clock, [this](his::Exchange e) {
                    if (sync_) sync_->report(e);
                });
            l->finder.emplace(l->db, l->his ? &l->his->lookup() : nullptr, identifier_systems(config_),
                              l->clock);
            l->retention(config_.storage.patient_cache_days);
            lookup_ = std::move(l);
        } catch (const std::exception& e) {
            spdlog::error("patient lookup unavailable: {}", e.what());
        }
    });
}

core::Ticket Backend::issue(const core::Service& service, core::UnixMillis now,
                            const std::optional<core::PatientRef>& patient) {
    return store_->tickets.issue(config_.identity.kiosk, service, now, patient);
}

RegistrarPort::Registered Backend::register_patient(const core::PatientDetails& details,
                                                    core::UnixMillis now) {
    store::RegisteredPatient p =
        store_->patients.register_patient(config_.identity.kiosk, details, identifier_systems(config_), now);
    Registered r{p.kiosk_patient_id, p.details.full_name};
    core::wipe(p.details);
    return r;
}

ui::LookupOutcome Backend::find(ui::IdKind kind, const std::string& value) {
    if (!lookup_) throw std::runtime_error("patient lookup is not available");
    lookup_->retention(config_.storage.patient_cache_days);
    return lookup_->finder->find(kind, value);
}

namespace {

// What the flow needs of a bills answer; staff see in the log why the HIS's answer was not taken, and
// which Invoices the patient was sent to the cashier for (their ids, never a name or an amount).
BillsPort::Answer bills_answer(his::BillsAnswer&& a, const char* what) {
    if (a.problem != his::LookupProblem::None) spdlog::warn("{}: {}", what, a.message);
    for (const auto& u : a.unusable)
        spdlog::warn("{}: Invoice {} cannot be paid at the kiosk: {}", what,
                     u.fhir_id.empty() ? "(no id)" : u.fhir_id, u.reason);
    return BillsPort::Answer{a.problem == his::LookupProblem::None, std::move(a.bills), a.unusable.size()};
}

} // namespace

BillsPort::Answer Backend::payable_bills(const std::string& patient_his_id) {
    if (!lookup_ || !lookup_->his) throw std::runtime_error("the HIS connection for bills is not available");
    Answer a = bills_answer(lookup_->his->invoices().payable_bills(patient_his_id), "bills");
    try {
        if (a.answered) {
            lookup_->bills.put(patient_his_id, a.bills, lookup_->clock.now());
        } else if (auto kept = lookup_->bills.get(patient_his_id)) {
            a.bills = std::move(kept->bills);
            a.cached_at = kept->fetched_at;
        }
    } catch (const std::exception& e) { // the HIS's answer still counts
        spdlog::error("the bill cache could not be used: {}", e.what());
    }
    return a;
}

BillsPort::Answer Backend::bills_by_id(const std::vector<std::string>& bill_ids) {
    if (!lookup_ || !lookup_->his) throw std::runtime_error("the HIS connection for bills is not available");
    return bills_answer(lookup_->his->invoices().bills_by_id(bill_ids), "payment status");
}

void Backend::start_payment_watch(const HisWiring& his) {
    watch_ = std::make_unique<Watch>();
    watch_->thread = std::thread([this, his, w = watch_.get()] {
        constexpr core::UnixMillis kDay = 24LL * 60 * 60 * 1000;
        core::SystemClock clock;
        std::optional<store::Database> db;
        std::unique_ptr<LookupHis> channel;
        std::optional<sync::PaymentWatch> watch;
        core::UnixMillis retention_done_at = 0;
        while (w->wait(kPaymentWatchEvery)) {
            try {
                if (!watch) { // opened here, so a database that could not be opened is tried again
                    db.emplace(store::Database::open(db_file()));
                    channel = his.make_lookup(*db, clock, [this](his::Exchange e) {
                        if (sync_) sync_->report(e);
                    });
                    watch.emplace(*db, channel->invoices());
                }
                const core::UnixMillis now = clock.now();
                const sync::PaymentWatchPass p = watch->pass(now);
                if (p.asked > 0 || p.unconfirmed > 0)
                    spdlog::info("payment watch: {} asked about, {} paid, {} stopped, {} unconfirmed{}",
                                 p.asked, p.paid, p.stopped, p.unconfirmed,
                                 p.his_answered ? "" : " (the HIS did not answer)");
                if (now - retention_done_at >= kDay) {
                    retention_done_at = now;
                    const int days = config_.storage.patient_cache_days;
                    if (const int n = store::PaymentLedger(*db).forget_older_than(now - days * kDay))
                        spdlog::info("forgot {} settled payment(s) older than {} days", n, days);
                }
            } catch (const std::exception& e) {
                spdlog::error("payment watch: {}", e.what());
                watch.reset();
                channel.reset();
                db.reset();
            }
        }
    });
}

void Backend::record_payment(const ui::fx::RecordPayment& p) {
    store_->payments.record(p.key, p.patient_his_id, p.request, p.shown_at, p.watch_until);
}

void Backend::settle_payment(const ui::fx::SettlePayment& s) {
    store_->payments.settle(
        s.key, s.paid ? store::PaymentRecord::State::Paid : store::PaymentRecord::State::Stopped, s.at);
}

std::optional<PaymentLedgerPort::Receipt> Backend::receipt_for(const std::string& bill_number) {
    const auto r = store_->payments.paid_for_bill(bill_number);
    if (!r) return std::nullopt;
    return Receipt{r->request, r->settled_at};
}

std::uint64_t Backend::kick() {
    return sync_ ? sync_->kick() : 0;
}

} // namespace kiosk::app
