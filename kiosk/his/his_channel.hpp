#pragma once
// The HTTP transport the kiosk talks to the HIS through, as every caller needs it: a base transport
// (libcurl in the kiosk), every exchange observed (the connectivity status counts them all), and a bearer
// token in front when the HIS wants OAuth2 client credentials. The sync's threads and the patient lookup
// each own one (a transport serves one thread).
#include "kiosk/core/clock.hpp"
#include "kiosk/his/http.hpp"
#include "kiosk/his/oauth2.hpp"

#include <functional>
#include <memory>
#include <optional>

namespace kiosk::his {

class HisChannel {
public:
    // clock: for the token's expiry; must outlive the channel.
    HisChannel(std::unique_ptr<HttpTransport> base, std::function<void(Exchange)> observer,
               const std::optional<OAuth2Settings>& oauth2, const core::Clock& clock)
        : base_(std::move(base)), observed_(*base_, std::move(observer)) {
        if (oauth2) oauth2_.emplace(observed_, *oauth2, clock);
    }
    HisChannel(const HisChannel&) = delete;
    HisChannel& operator=(const HisChannel&) = delete;

    // What requests go through: the token layer when there is one, else the observed base.
    [[nodiscard]] HttpTransport& transport() {
        return oauth2_ ? static_cast<HttpTransport&>(*oauth2_) : observed_;
    }

private:
    std::unique_ptr<HttpTransport> base_;
    ObservedTransport observed_;
    std::optional<OAuth2Transport> oauth2_;
};

} // namespace kiosk::his
