#pragma once
#include "kiosk/store/ticket_store.hpp"

#include <string>

namespace kiosk::his {

// The port the kiosk uses to reach the hospital information system. The FHIR R4 adapter over libcurl
// implements it in its own issue; until then the kiosk runs offline and the outbox keeps every record.
enum class Delivery { Accepted, AlreadyExists, RetryLater, Rejected };

struct DeliveryResult {
    Delivery outcome = Delivery::RetryLater;
    std::string detail; // server message (e.g. OperationOutcome text) for staff, never patient data
};

class HisPort {
public:
    virtual ~HisPort() = default;
    // Delivers one outbox record idempotently (keyed on entry.identifier).
    virtual DeliveryResult deliver(const store::OutboxEntry& entry) = 0;
};

} // namespace kiosk::his
