#include "kiosk/app/effect_runner.hpp"

#include "kiosk/app/frame_stats.hpp"
#include "kiosk/core/text.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <type_traits>
#include <utility>

namespace kiosk::app {
EffectRunner::EffectRunner(Ports ports, Executors executors, const core::Clock& clock,
                           std::vector<core::Service> services, std::function<void(const ui::Event&)> deliver)
    : ports_(ports), exec_(executors), clock_(clock), services_(std::move(services)),
      deliver_(std::move(deliver)) {}

void EffectRunner::run(const ui::Effect& effect) {
    std::visit(
        [this](const auto& fx) {
            using T = std::decay_t<decltype(fx)>;
            if constexpr (std::is_same_v<T, ui::fx::IssueTicket>)
                issue_ticket(fx);
            else if constexpr (std::is_same_v<T, ui::fx::LookupPatient>)
                lookup_patient(fx);
            else if constexpr (std::is_same_v<T, ui::fx::RegisterPatient>)
                register_patient(fx);
            else if constexpr (std::is_same_v<T, ui::fx::LoadBills>)
                load_bills(fx);
            else if constexpr (std::is_same_v<T, ui::fx::FetchPaymentStatus>)
                fetch_payment_status(fx);
            else if constexpr (std::is_same_v<T, ui::fx::RecordPayment> ||
                               std::is_same_v<T, ui::fx::SettlePayment>)
                keep_payment(fx);
            else if constexpr (std::is_same_v<T, ui::fx::FindReceipt>)
                find_receipt(fx);
        },
        effect);
}

void EffectRunner::kick_sync() {
    if (ports_.sync) kicks_sent_ = ports_.sync->kick(); // a new record for the HIS
}

// The jobs capture what they use by value (pointers to the ports, the clock and the main executor, which
// all outlive the workers) and never the runner: only the result posted back to the UI thread touches it.

void EffectRunner::issue_ticket(const ui::fx::IssueTicket& fx) {
    const auto it = std::find_if(services_.begin(), services_.end(),
                                 [&](const core::Service& s) { return s.code == fx.service_code; });
    if (it == services_.end()) {
        deliver_(ui::ev::TicketFailed{fx.request});
        return;
    }
    exec_.store.post([this, tickets = &ports_.tickets, main = &exec_.main, clock = &clock_,
                      request = fx.request, service = *it, patient = fx.patient] {
        const auto t0 = std::chrono::steady_clock::now();
        try {
            core::Ticket t = tickets->issue(service, clock->now(), patient);
            spdlog::info("ticket {} ({}) stored in {:.2f} ms", t.display_number, t.reference,
                         ms_between(t0, std::chrono::steady_clock::now()));
            main->post([this, request, t = std::move(t)] {
                kick_sync();
                deliver_(ui::ev::TicketStored{request, t});
            });
        } catch (const std::exception& e) {
            spdlog::error("could not issue a ticket for {}: {}", service.code, e.what());
            main->post([this, request] { deliver_(ui::ev::TicketFailed{request}); });
        }
    });
}

void EffectRunner::lookup_patient(const ui::fx::LookupPatient& fx) {
    exec_.lookup.post([this, finder = &ports_.finder, main = &exec_.main, request = fx.request,
                       kind = fx.kind, value = fx.value]() mutable {
        ui::LookupOutcome outcome;
        const auto t0 = std::chrono::steady_clock::now();
        try {
            outcome = finder->find(kind, value);
            static constexpr const char* kinds[] = {"found", "not found", "several patients",
                                                    "the HIS could not be asked"};
            spdlog::info("patient lookup by {}: {}{} in {:.0f} ms",
                         kind == ui::IdKind::Cccd ? "CCCD" : "BHYT", kinds[static_cast<int>(outcome.kind)],
                         outcome.his_offline ? " (HIS unreachable)" : "",
                         ms_between(t0, std::chrono::steady_clock::now()));
        } catch (const std::exception& e) {
            // The kiosk's own records could not be read: nobody can say whether the patient is known, so
            // no registration (it could duplicate them): the patient is sent to the desk; staff see why.
            spdlog::error("patient lookup failed: {}", e.what());
            outcome = ui::LookupOutcome{};
            outcome.kind = ui::LookupOutcome::Kind::HisUnavailable;
            outcome.his_offline = true;
        }
        core::wipe(value);
        main->post([this, request, outcome = std::move(outcome)] {
            deliver_(ui::ev::LookupDone{request, outcome});
        });
    });
}

void EffectRunner::register_patient(const ui::fx::RegisterPatient& fx) {
    exec_.store.post([this, registrar = &ports_.registrar, main = &exec_.main, clock = &clock_,
                      request = fx.request, details = fx.details]() mutable {
        try {
            RegistrarPort::Registered p = registrar->register_patient(details, clock->now());
            spdlog::info("patient registered at the kiosk as {}", p.kiosk_patient_id);
            ui::KnownPatient known;
            known.masked_name = core::mask_name(p.full_name);
            known.kiosk_patient_id = p.kiosk_patient_id;
            core::wipe(p.full_name);
            main->post([this, request, known = std::move(known)] {
                kick_sync();
                deliver_(ui::ev::Registered{request, known});
            });
        } catch (const std::exception& e) {
            spdlog::error("could not register a patient: {}", e.what());
            main->post([this, request] { deliver_(ui::ev::RegistrationFailed{request}); });
        }
        core::wipe(details);
    });
}

void EffectRunner::load_bills(const ui::fx::LoadBills& fx) {
    if (!ports_.bills) {
        deliver_(ui::ev::BillsLoaded{fx.request, false, {}, 0});
        return;
    }
    exec_.lookup.post([this, bills = ports_.bills, main = &exec_.main, request = fx.request,
                       patient = fx.patient_his_id] {
        BillsPort::Answer a;
        const auto t0 = std::chrono::steady_clock::now();
        try {
            a = bills->payable_bills(patient);
            const double ms = ms_between(t0, std::chrono::steady_clock::now());
            if (a.answered)
                spdlog::info("bills: {} payable, {} only at the cashier in {:.0f} ms", a.bills.size(),
                             a.unusable, ms);
            else if (a.cached_at != 0)
                spdlog::info("bills: the HIS did not answer in {:.0f} ms; showing the {} bill(s) it listed "
                             "last (not payable)",
                             ms, a.bills.size());
            else
                spdlog::info("bills: the HIS did not answer in {:.0f} ms", ms);
        } catch (const std::exception& e) {
            spdlog::error("bills could not be asked for: {}", e.what());
            a = {};
        }
        main->post([this, request, a = std::move(a)] {
            deliver_(ui::ev::BillsLoaded{request, a.answered, a.bills, a.unusable, a.cached_at});
        });
    });
}

void EffectRunner::fetch_payment_status(const ui::fx::FetchPaymentStatus& fx) {
    if (!ports_.bills) {
        deliver_(ui::ev::PaymentChecked{fx.request, false, {}, clock_.now()});
        return;
    }
    exec_.lookup.post([this, bills = ports_.bills, main = &exec_.main, clock = &clock_, request = fx.request,
                       ids = fx.bill_ids] {
        BillsPort::Answer a;
        try {
            a = bills->bills_by_id(ids);
        } catch (const std::exception& e) {
            spdlog::error("a payment's bills could not be asked for: {}", e.what());
            a = {};
        }
        main->post([this, request, a = std::move(a), at = clock->now()] {
            deliver_(ui::ev::PaymentChecked{request, a.answered, a.bills, at});
        });
    });
}

// The ledger is the kiosk's own memory of a payment; the HIS stays the truth, so a write that fails is
// logged for staff and the patient's screen goes on.
void EffectRunner::keep_payment(const ui::Effect& fx) {
    if (!ports_.payments) return;
    exec_.store.post([ledger = ports_.payments, fx] {
        try {
            if (const auto* r = std::get_if<ui::fx::RecordPayment>(&fx)) {
                ledger->record_payment(*r);
                spdlog::info("payment {} shown: {} bill(s), {} VND", r->key, r->request.bill_ids.size(),
                             r->request.amount_vnd);
            } else if (const auto* s = std::get_if<ui::fx::SettlePayment>(&fx)) {
                ledger->settle_payment(*s);
                spdlog::info("payment {} {}", s->key,
                             s->paid ? "paid" : "stopped: a bill changed in the HIS");
            }
        } catch (const std::exception& e) {
            spdlog::error("the payment ledger could not be written: {}", e.what());
        }
    });
}

void EffectRunner::find_receipt(const ui::fx::FindReceipt& fx) {
    if (!ports_.payments) {
        deliver_(ui::ev::ReceiptFound{fx.request, std::nullopt, 0});
        return;
    }
    exec_.store.post(
        [this, ledger = ports_.payments, main = &exec_.main, request = fx.request, number = fx.bill_number] {
            std::optional<PaymentLedgerPort::Receipt> receipt;
            try {
                receipt = ledger->receipt_for(number);
                spdlog::info("receipt asked for by scanning a bill: {}",
                             receipt ? "found" : "no payment recorded");
            } catch (const std::exception& e) {
                spdlog::error("the payment ledger could not be read: {}", e.what());
            }
            main->post([this, request, receipt = std::move(receipt)] {
                ui::ev::ReceiptFound found{request, std::nullopt, 0};
                if (receipt) {
                    found.paid = receipt->paid;
                    found.paid_at = receipt->paid_at;
                }
                deliver_(found);
            });
        });
}

} // namespace kiosk::app
