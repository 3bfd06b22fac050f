#pragma once
// Turns the flow's effects into work on the workers and posts each result back to the UI thread as the
// flow's event. Its collaborators come through the small interfaces below, so a test runs it with fakes,
// a ManualClock and executors it runs by hand; the kiosk gives it the SQLite stores, the PatientFinder and
// the HIS sync (backend.hpp). No SDL, no ImGui, no SQL here.
#include "kiosk/app/work_queue.hpp"
#include "kiosk/core/clock.hpp"
#include "kiosk/core/identity.hpp"
#include "kiosk/core/payment.hpp"
#include "kiosk/core/ticket.hpp"
#include "kiosk/ui/events.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::app {

// Stores a ticket (and its outbox record) durably, or throws. Called on the store worker.
class TicketPort {
public:
    virtual ~TicketPort() = default;
    virtual core::Ticket issue(const core::Service& service, core::UnixMillis now,
                               const std::optional<core::PatientRef>& patient) = 0;
};

// Who carries this identifier (PatientFinder). Throws when the kiosk's own records cannot be read.
// Called on the lookup worker.
class PatientFinderPort {
public:
    virtual ~PatientFinderPort() = default;
    virtual ui::LookupOutcome find(ui::IdKind kind, const std::string& value) = 0;
};

// Stores a new patient (and their outbox record); returns the kiosk's id for them, or throws.
// Called on the store worker.
class RegistrarPort {
public:
    struct Registered {
        std::string kiosk_patient_id;
        std::string full_name; // for the masked greeting only; wiped after use
    };
    virtual ~RegistrarPort() = default;
    virtual Registered register_patient(const core::PatientDetails& details, core::UnixMillis now) = 0;
};

// The patient's bills in the HIS (FHIR Invoices through his::InvoiceSearch). Each answer says whether the
// HIS answered at all; throws only when the kiosk itself cannot ask. Called on the lookup worker.
class BillsPort {
public:
    struct Answer {
        bool answered = false;         // false: no answer in time, a refusal, or a reply the kiosk distrusts
        std::vector<core::Bill> bills; // payable_bills: the payable ones; bills_by_id: as the HIS has them
        std::size_t unusable = 0;      // Invoices the kiosk cannot take payment for
        // Not answered, and the bills are the ones the HIS listed at this time (not payable now); 0: none.
        core::UnixMillis cached_at = 0;
    };
    virtual ~BillsPort() = default;
    virtual Answer payable_bills(const std::string& patient_his_id) = 0;
    virtual Answer bills_by_id(const std::vector<std::string>& bill_ids) = 0;
};

// The kiosk's payment ledger (store::PaymentLedger): the codes shown and how they ended. Called on the
// store worker; throws when the database cannot be written.
class PaymentLedgerPort {
public:
    struct Receipt {
        core::PaymentRequest paid;
        core::UnixMillis paid_at = 0;
    };
    virtual ~PaymentLedgerPort() = default;
    virtual void record_payment(const ui::fx::RecordPayment& payment) = 0;
    virtual void settle_payment(const ui::fx::SettlePayment& outcome) = 0;
    // The newest paid payment of the bill with this number.
    virtual std::optional<Receipt> receipt_for(const std::string& bill_number) = 0;
};

// Tells the HIS sync that a new record waits. Returns SyncWorker::kick()'s count. Called on the UI thread.
class SyncKicker {
public:
    virtual ~SyncKicker() = default;
    virtual std::uint64_t kick() = 0;
};

class EffectRunner {
public:
    struct Ports {
        TicketPort& tickets;
        PatientFinderPort& finder;
        RegistrarPort& registrar;
        SyncKicker* sync = nullptr;            // null when no HIS is configured
        BillsPort* bills = nullptr;            // null without a HIS: every question about bills is unanswered
        PaymentLedgerPort* payments = nullptr; // null: payments are not kept (tests that do not look)
    };
    struct Executors {
        Executor& store;  // SQLite writes, in order
        Executor& lookup; // patient lookups (may wait seconds for the HIS)
        Executor& main;   // the UI thread (MainQueue)
    };
    // deliver: hands a result to the flow; always called on the main executor.
    EffectRunner(Ports ports, Executors executors, const core::Clock& clock,
                 std::vector<core::Service> services, std::function<void(const ui::Event&)> deliver);

    // Starts the work of one effect (ForgetPatient and CheckPaymentIn are none: the app forgets and keeps
    // the payment timer itself). Call on the UI thread.
    void run(const ui::Effect& effect);

    // How many kicks the sync had been given after the newest stored record (0: none, or no HIS). A sync
    // status counts that record only when it had seen at least this many (script step wait-sync).
    [[nodiscard]] std::uint64_t kicks_sent() const { return kicks_sent_; }

private:
    void issue_ticket(const ui::fx::IssueTicket& fx);
    void lookup_patient(const ui::fx::LookupPatient& fx);
    void register_patient(const ui::fx::RegisterPatient& fx);
    void load_bills(const ui::fx::LoadBills& fx);
    void fetch_payment_status(const ui::fx::FetchPaymentStatus& fx);
    void keep_payment(const ui::Effect& fx);
    void find_receipt(const ui::fx::FindReceipt& fx);
    void kick_sync();

    Ports ports_;
    Executors exec_;
    const core::Clock& clock_;
    std::vector<core::Service> services_;
    std::function<void(const ui::Event&)> deliver_;
    std::uint64_t kicks_sent_ = 0;
};

} // namespace kiosk::app
