#pragma once
// Everything an integration test needs to run real peers on loopback.

#include "support/dante_server.hpp"
#include "support/dnsmasq_server.hpp"
#include "support/fault_proxy.hpp"
#include "support/microsocks_server.hpp"
#include "support/moto_server.hpp"
#include "support/net.hpp"
#include "support/nginx_server.hpp"
#include "support/process.hpp"
#include "support/python_upstream.hpp"
#include "support/tailscale_standins.hpp"
#include "support/tailscaled_standin.hpp"
#include "support/temp_dir.hpp"
#include "support/test_ca.hpp"
#include "support/wait.hpp"
