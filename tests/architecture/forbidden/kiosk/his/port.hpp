#pragma once
// Fixture for Architecture.CheckerRefusesForbiddenIncludes: the FHIR adapter reaching for SQLite.
#include "kiosk/core/clock.hpp"
#include <nlohmann/json.hpp>
#include <sqlite3.h>
