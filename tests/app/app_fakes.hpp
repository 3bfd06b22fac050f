#pragma once
// Fakes for the EffectRunner's ports and an executor a test runs by hand: the app's logic without
// threads, SQLite or a HIS.
#include "kiosk/app/effect_runner.hpp"
#include "kiosk/app/work_queue.hpp"

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace kiosk::app::testing {

// Jobs wait until the test runs them (on its own thread, in order).
class ManualExecutor final : public Executor {
public:
    void post(std::function<void()> job) override { jobs_.push_back(std::move(job)); }
    // Runs what is queued now (and what those jobs queue meanwhile); returns how many ran.
    std::size_t run_all() {
        std::size_t n = 0;
        while (!jobs_.empty()) {
            auto job = std::move(jobs_.front());
            jobs_.pop_front();
            job();
            ++n;
        }
        return n;
    }
    [[nodiscard]] std::size_t pending() const { return jobs_.size(); }

private:
    std::deque<std::function<void()>> jobs_;
};

struct FakeTickets final : TicketPort {
    struct Call {
        core::Service service;
        core::UnixMillis now;
        std::optional<core::PatientRef> patient;
    };
    std::vector<Call> calls;
    bool fail = false;
    core::Ticket issue(const core::Service& service, core::UnixMillis now,
                       const std::optional<core::PatientRef>& patient) override {
        calls.push_back({service, now, patient});
        if (fail) throw std::runtime_error("database is locked");
        core::Ticket t;
        t.reference = "REF-" + std::to_string(calls.size());
        t.display_number = service.prefix + "-00" + std::to_string(calls.size());
        t.service_code = service.code;
        t.sequence = static_cast<int>(calls.size());
        t.issued_at = now;
        t.patient = patient;
        return t;
    }
};

struct FakeFinder final : PatientFinderPort {
    std::vector<std::string> asked;          // the values looked up
    std::optional<ui::LookupOutcome> answer; // nullopt: throws (the kiosk's records cannot be read)
    ui::LookupOutcome find(ui::IdKind, const std::string& value) override {
        asked.push_back(value);
        if (!answer) throw std::runtime_error("no such table: patient_cache");
        return *answer;
    }
};

struct FakeRegistrar final : RegistrarPort {
    std::vector<core::UnixMillis> calls;
    bool fail = false;
    Registered register_patient(const core::PatientDetails& details, core::UnixMillis now) override {
        calls.push_back(now);
        if (fail) throw std::runtime_error("disk full");
        return Registered{"KIOSK-P-" + std::to_string(calls.size()), details.full_name};
    }
};

struct FakeKicker final : SyncKicker {
    std::uint64_t kicks = 0;
    std::uint64_t kick() override { return ++kicks; }
};

// The HIS's bills, as the test sets them; throw: the kiosk cannot ask at all.
struct FakeBills final : BillsPort {
    std::vector<std::string> asked_patients;
    std::vector<std::vector<std::string>> asked_ids;
    Answer answer;
    bool throws = false;
    Answer payable_bills(const std::string& patient_his_id) override {
        asked_patients.push_back(patient_his_id);
        if (throws) throw std::runtime_error("lookup thread has no HIS channel");
        return answer;
    }
    Answer bills_by_id(const std::vector<std::string>& ids) override {
        asked_ids.push_back(ids);
        if (throws) throw std::runtime_error("lookup thread has no HIS channel");
        return answer;
    }
};

struct FakeLedger final : PaymentLedgerPort {
    std::vector<ui::fx::RecordPayment> recorded;
    std::vector<ui::fx::SettlePayment> settled;
    bool fail = false;
    void record_payment(const ui::fx::RecordPayment& p) override {
        if (fail) throw std::runtime_error("disk full");
        recorded.push_back(p);
    }
    void settle_payment(const ui::fx::SettlePayment& s) override {
        if (fail) throw std::runtime_error("disk full");
        settled.push_back(s);
    }
    std::map<std::string, Receipt> receipts; // by bill number
    std::optional<Receipt> receipt_for(const std::string& bill_number) override {
        if (fail) throw std::runtime_error("database disk image is malformed");
        const auto it = receipts.find(bill_number);
        if (it == receipts.end()) return std::nullopt;
        return it->second;
    }
};

// A found patient, as PatientFinder would answer.
inline ui::LookupOutcome found(std::string masked_name, std::string his_id) {
    ui::LookupOutcome o;
    o.kind = ui::LookupOutcome::Kind::Found;
    o.patient.masked_name = std::move(masked_name);
    o.patient.his_id = std::move(his_id);
    return o;
}

} // namespace kiosk::app::testing
