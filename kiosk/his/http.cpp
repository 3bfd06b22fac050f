#include "kiosk/his/http.hpp"

namespace kiosk::his {

std::string transport_text(const HttpResponse& r) {
    switch (r.error) {
    case TransportError::None:
        return "";
    case TransportError::Connect:
        return "cannot connect to the HIS: " + r.error_detail;
    case TransportError::Timeout:
        return "the HIS did not answer in time: " + r.error_detail;
    case TransportError::Interrupted:
        return "the connection to the HIS broke: " + r.error_detail;
    case TransportError::TooLarge:
        return "the HIS reply was too large: " + r.error_detail;
    case TransportError::Other:
        return "HTTP error: " + r.error_detail;
    }
    return r.error_detail;
}

} // namespace kiosk::his
