#pragma once
// Fixture for Architecture.CheckerRefusesForbiddenIncludes: a screen using what a screen may.
#include "kiosk/core/ticket.hpp"
#include <imgui.h>
