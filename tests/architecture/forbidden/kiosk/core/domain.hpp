#pragma once
// Fixture for Architecture.CheckerRefusesForbiddenIncludes: the domain reaching for SQL and SDL.
#include "kiosk/core/ticket.hpp"
#include "kiosk/store/database.hpp"
#include <SDL.h>
#include <string>
