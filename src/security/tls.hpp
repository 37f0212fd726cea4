// The old name of security/certificates.hpp, kept only while orchestrator/runner.cpp and
// producer/serve_command.cpp still include it; include security/certificates.hpp instead.
#pragma once

#include "security/certificates.hpp"
