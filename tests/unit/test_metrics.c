/* Prometheus metrics: a fixed daemon status (two capture workers' entries
 * of one flow log, an interface name that needs escaping) rendered in the
 * text exposition format 0.0.4, compared byte for byte; the status of a
 * daemon without the data path, and no status at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vxtap/metrics.h"

/* What vxtap status prints (trimmed): one session to an NLB target, two
 * members, a flow log seen by two capture workers of eth0, and one whose
 * destination fails on an interface with a strange name. */
static const char STATUS[] =
    "{\"Pid\": 4242, \"StartedAt\": \"2026-11-25T11:30:09.504Z\", \"AppliedAt\": "
    "\"2026-11-25T11:31:00.000Z\",\n"
    " \"Reloads\": 3, \"ReloadFailures\": 1,\n"
    " \"Applied\": {\"Generation\": 7, \"Host\": {\"AccountId\": \"111122223333\"},\n"
    "  \"Sources\": [{\"NetworkInterfaceId\": \"eni-d35450fd158ebbf2f\", \"InterfaceName\": "
    "\"eth0\", \"Address\": \"192.0.2.2\", \"Present\": true,\n"
    "   \"Sessions\": [{\"TrafficMirrorSessionId\": \"tms-51d58b5261be39fc5\", "
    "\"SessionNumber\": 1, \"VirtualNetworkId\": 100,\n"
    "     \"TrafficMirrorFilterId\": \"tmf-62006b9bf4d40ea4c\", \"IngressRules\": 1, "
    "\"EgressRules\": 0, \"AmazonDns\": false,\n"
    "     \"Target\": {\"TrafficMirrorTargetId\": \"tmt-dff299b50c5b7840c\", \"Type\": "
    "\"network-load-balancer\", \"Members\": []}}]}],\n"
    "  \"FlowLogs\": []},\n"
    " \"DataPath\": {\n"
    "  \"Sources\": [{\"InterfaceName\": \"eth0\", \"Capturing\": true, \"Workers\": 2, "
    "\"Frames\": 1000, \"KernelDrops\": 5, \"Mirrored\": 900,\n"
    "    \"NotSelected\": 95, \"Malformed\": 0, \"SendErrors\": 1, \"NeverMirrored\": "
    "{\"not_ip\": 3, \"dhcp\": 0, \"metadata\": 1, \"time_sync\": 0, \"dns\": 1},\n"
    "    \"MirroredLinkLayer\": 850}],\n"
    "  \"Sessions\": [{\"TrafficMirrorSessionId\": \"tms-51d58b5261be39fc5\", "
    "\"MirroredPackets\": 900, \"MirroredBytes\": 123456,\n"
    "    \"TruncatedPackets\": 10, \"FilteredOutPackets\": 95, \"DroppedPackets\": "
    "{\"OverCap\": 2, \"SendPathFull\": 0, \"NoTargetUp\": 4}}],\n"
    "  \"TargetMembers\": [{\"Address\": \"10.0.0.21\", \"HealthCheckPort\": 4789, "
    "\"State\": \"unhealthy\", \"ChecksOk\": 0, \"ChecksFailed\": 6},\n"
    "    {\"Address\": \"10.0.0.20\", \"HealthCheckPort\": 4789, \"State\": \"healthy\", "
    "\"ChecksOk\": 12, \"ChecksFailed\": 0}],\n"
    "  \"NextHops\": [{\"Address\": \"10.0.0.20\", \"LinkLayer\": true}, {\"Address\": "
    "\"10.0.0.21\", \"LinkLayer\": false, \"Why\": \"no neighbour entry yet\"}],\n"
    "  \"FlowLogs\": [\n"
    "   {\"FlowLogId\": \"fl-0123456789abcdef4\", \"InterfaceName\": \"eth0\", \"Running\": "
    "true, \"Packets\": 600, \"Records\": 7, \"NoData\": 1,\n"
    "    \"SkipData\": 0, \"SkippedPackets\": 0, \"PeakFlows\": 4, \"FilesPublished\": 1, "
    "\"RecordsLost\": 0, \"WriteErrors\": 0,\n"
    "    \"NeverLogged\": 2, \"Accepted\": 590, \"Rejected\": 10, \"TrackedConnections\": 3},\n"
    "   {\"FlowLogId\": \"fl-0123456789abcdef4\", \"InterfaceName\": \"eth0\", \"Running\": "
    "true, \"Packets\": 400, \"Records\": 5, \"NoData\": 0,\n"
    "    \"SkipData\": 1, \"SkippedPackets\": 20, \"PeakFlows\": 6, \"FilesPublished\": 1, "
    "\"RecordsLost\": 0, \"WriteErrors\": 0,\n"
    "    \"NeverLogged\": 0, \"Accepted\": 400, \"Rejected\": 0, \"TrackedConnections\": 2},\n"
    "   {\"FlowLogId\": \"fl-0123456789abcdef9\", \"InterfaceName\": \"we\\\"ird\\\\if\\n\", "
    "\"Running\": false, \"Error\": \"cannot write\",\n"
    "    \"Packets\": 0, \"Records\": 0, \"NoData\": 0, \"SkipData\": 0, \"SkippedPackets\": "
    "0, \"PeakFlows\": 0, \"FilesPublished\": 0,\n"
    "    \"RecordsLost\": 3, \"WriteErrors\": 2, \"NeverLogged\": 0, \"Accepted\": 0, "
    "\"Rejected\": 0, \"TrackedConnections\": 0}]}}\n";

static const char EXPECTED[] =
    "# HELP vxtap_daemon_up Whether the vxtap daemon answered the status query.\n"
    "# TYPE vxtap_daemon_up gauge\n"
    "vxtap_daemon_up 1\n"
    "# HELP vxtap_daemon_generation The state store generation the daemon has applied.\n"
    "# TYPE vxtap_daemon_generation gauge\n"
    "vxtap_daemon_generation 7\n"
    "# HELP vxtap_daemon_reloads_total Configurations the daemon applied, the first one "
    "included.\n"
    "# TYPE vxtap_daemon_reloads_total counter\n"
    "vxtap_daemon_reloads_total 3\n"
    "# HELP vxtap_daemon_reload_failures_total Configurations the daemon could not load or "
    "apply.\n"
    "# TYPE vxtap_daemon_reload_failures_total counter\n"
    "vxtap_daemon_reload_failures_total 1\n"
    "# HELP vxtap_daemon_start_time_seconds When the daemon started, in Unix seconds.\n"
    "# TYPE vxtap_daemon_start_time_seconds gauge\n"
    "vxtap_daemon_start_time_seconds 1795606209.504\n"
    "# HELP vxtap_daemon_last_apply_time_seconds When the daemon last applied a "
    "configuration, in Unix seconds.\n"
    "# TYPE vxtap_daemon_last_apply_time_seconds gauge\n"
    "vxtap_daemon_last_apply_time_seconds 1795606260.000\n"
    "# HELP vxtap_session_info A traffic mirror session the daemon applied: its source, "
    "number, VNI, filter and target.\n"
    "# TYPE vxtap_session_info gauge\n"
    "vxtap_session_info{session_id=\"tms-51d58b5261be39fc5\","
    "network_interface_id=\"eni-d35450fd158ebbf2f\",interface=\"eth0\",session_number=\"1\","
    "vni=\"100\",filter_id=\"tmf-62006b9bf4d40ea4c\",target_id=\"tmt-dff299b50c5b7840c\","
    "target_type=\"network-load-balancer\"} 1\n"
    "# HELP vxtap_session_mirrored_packets_total Packets the session mirrored (VXLAN copies "
    "sent).\n"
    "# TYPE vxtap_session_mirrored_packets_total counter\n"
    "vxtap_session_mirrored_packets_total{session_id=\"tms-51d58b5261be39fc5\"} 900\n"
    "# HELP vxtap_session_mirrored_bytes_total Bytes of the inner frames the session "
    "mirrored, after truncation.\n"
    "# TYPE vxtap_session_mirrored_bytes_total counter\n"
    "vxtap_session_mirrored_bytes_total{session_id=\"tms-51d58b5261be39fc5\"} 123456\n"
    "# HELP vxtap_session_truncated_packets_total Mirrored packets cut to the session's "
    "packet length.\n"
    "# TYPE vxtap_session_truncated_packets_total counter\n"
    "vxtap_session_truncated_packets_total{session_id=\"tms-51d58b5261be39fc5\"} 10\n"
    "# HELP vxtap_session_filtered_out_packets_total Packets the session's filter did not "
    "accept.\n"
    "# TYPE vxtap_session_filtered_out_packets_total counter\n"
    "vxtap_session_filtered_out_packets_total{session_id=\"tms-51d58b5261be39fc5\"} 95\n"
    "# HELP vxtap_session_dropped_packets_total Copies the session dropped, by reason: "
    "OverCap (its cap), SendPathFull (the kernel would not take the copy without waiting), "
    "NoTargetUp (no load-balancer member passed its health check).\n"
    "# TYPE vxtap_session_dropped_packets_total counter\n"
    "vxtap_session_dropped_packets_total{session_id=\"tms-51d58b5261be39fc5\","
    "reason=\"OverCap\"} 2\n"
    "vxtap_session_dropped_packets_total{session_id=\"tms-51d58b5261be39fc5\","
    "reason=\"SendPathFull\"} 0\n"
    "vxtap_session_dropped_packets_total{session_id=\"tms-51d58b5261be39fc5\","
    "reason=\"NoTargetUp\"} 4\n"
    "# HELP vxtap_source_capturing Whether every capture worker of the interface runs.\n"
    "# TYPE vxtap_source_capturing gauge\n"
    "vxtap_source_capturing{interface=\"eth0\"} 1\n"
    "# HELP vxtap_source_workers Capture workers of the interface.\n"
    "# TYPE vxtap_source_workers gauge\n"
    "vxtap_source_workers{interface=\"eth0\"} 2\n"
    "# HELP vxtap_source_frames_total Frames captured on the interface.\n"
    "# TYPE vxtap_source_frames_total counter\n"
    "vxtap_source_frames_total{interface=\"eth0\"} 1000\n"
    "# HELP vxtap_source_kernel_drops_total Frames the kernel dropped because the capture "
    "rings were full.\n"
    "# TYPE vxtap_source_kernel_drops_total counter\n"
    "vxtap_source_kernel_drops_total{interface=\"eth0\"} 5\n"
    "# HELP vxtap_source_mirrored_packets_total Packets of the interface some session "
    "mirrored.\n"
    "# TYPE vxtap_source_mirrored_packets_total counter\n"
    "vxtap_source_mirrored_packets_total{interface=\"eth0\"} 900\n"
    "# HELP vxtap_source_mirrored_link_layer_packets_total Mirrored copies sent at the link "
    "layer (the fast path).\n"
    "# TYPE vxtap_source_mirrored_link_layer_packets_total counter\n"
    "vxtap_source_mirrored_link_layer_packets_total{interface=\"eth0\"} 850\n"
    "# HELP vxtap_source_not_selected_packets_total Packets no session's filter accepted.\n"
    "# TYPE vxtap_source_not_selected_packets_total counter\n"
    "vxtap_source_not_selected_packets_total{interface=\"eth0\"} 95\n"
    "# HELP vxtap_source_malformed_packets_total Frames that could not be decoded.\n"
    "# TYPE vxtap_source_malformed_packets_total counter\n"
    "vxtap_source_malformed_packets_total{interface=\"eth0\"} 0\n"
    "# HELP vxtap_source_send_errors_total Mirrored copies the kernel refused to send.\n"
    "# TYPE vxtap_source_send_errors_total counter\n"
    "vxtap_source_send_errors_total{interface=\"eth0\"} 1\n"
    "# HELP vxtap_source_never_mirrored_packets_total Packets no session may mirror (traffic "
    "AWS does not mirror), by reason.\n"
    "# TYPE vxtap_source_never_mirrored_packets_total counter\n"
    "vxtap_source_never_mirrored_packets_total{interface=\"eth0\",reason=\"not_ip\"} 3\n"
    "vxtap_source_never_mirrored_packets_total{interface=\"eth0\",reason=\"dhcp\"} 0\n"
    "vxtap_source_never_mirrored_packets_total{interface=\"eth0\",reason=\"metadata\"} 1\n"
    "vxtap_source_never_mirrored_packets_total{interface=\"eth0\",reason=\"time_sync\"} 0\n"
    "vxtap_source_never_mirrored_packets_total{interface=\"eth0\",reason=\"dns\"} 1\n"
    "# HELP vxtap_target_member_healthy Whether the load-balancer member passes its TCP "
    "health check.\n"
    "# TYPE vxtap_target_member_healthy gauge\n"
    "vxtap_target_member_healthy{address=\"10.0.0.20\",port=\"4789\"} 1\n"
    "vxtap_target_member_healthy{address=\"10.0.0.21\",port=\"4789\"} 0\n"
    "# HELP vxtap_target_member_checks_ok_total Health checks the member passed.\n"
    "# TYPE vxtap_target_member_checks_ok_total counter\n"
    "vxtap_target_member_checks_ok_total{address=\"10.0.0.20\",port=\"4789\"} 12\n"
    "vxtap_target_member_checks_ok_total{address=\"10.0.0.21\",port=\"4789\"} 0\n"
    "# HELP vxtap_target_member_checks_failed_total Health checks the member failed.\n"
    "# TYPE vxtap_target_member_checks_failed_total counter\n"
    "vxtap_target_member_checks_failed_total{address=\"10.0.0.20\",port=\"4789\"} 0\n"
    "vxtap_target_member_checks_failed_total{address=\"10.0.0.21\",port=\"4789\"} 6\n"
    "# HELP vxtap_next_hop_link_layer Whether copies to the target address leave at the link "
    "layer (else the IP path).\n"
    "# TYPE vxtap_next_hop_link_layer gauge\n"
    "vxtap_next_hop_link_layer{address=\"10.0.0.20\"} 1\n"
    "vxtap_next_hop_link_layer{address=\"10.0.0.21\"} 0\n"
    "# HELP vxtap_flow_log_running Whether the flow log runs on the interface (its "
    "destination can be written).\n"
    "# TYPE vxtap_flow_log_running gauge\n"
    "vxtap_flow_log_running{flow_log_id=\"fl-0123456789abcdef4\",interface=\"eth0\"} 1\n"
    "vxtap_flow_log_running{flow_log_id=\"fl-0123456789abcdef9\","
    "interface=\"we\\\"ird\\\\if\\n\"} 0\n"
    "# HELP vxtap_flow_log_packets_total Packets the flow log metered.\n"
    "# TYPE vxtap_flow_log_packets_total counter\n"
    "vxtap_flow_log_packets_total{flow_log_id=\"fl-0123456789abcdef4\",interface=\"eth0\"} "
    "1000\n"
    "vxtap_flow_log_packets_total{flow_log_id=\"fl-0123456789abcdef9\","
    "interface=\"we\\\"ird\\\\if\\n\"} 0\n"
    "# HELP vxtap_flow_log_records_total Flow log records written.\n"
    "# TYPE vxtap_flow_log_records_total counter\n"
    "vxtap_flow_log_records_total{flow_log_id=\"fl-0123456789abcdef4\",interface=\"eth0\"} 12\n"
    "vxtap_flow_log_records_total{flow_log_id=\"fl-0123456789abcdef9\","
    "interface=\"we\\\"ird\\\\if\\n\"} 0\n"
    "# HELP vxtap_flow_log_nodata_total NODATA records written.\n"
    "# TYPE vxtap_flow_log_nodata_total counter\n"
    "vxtap_flow_log_nodata_total{flow_log_id=\"fl-0123456789abcdef4\",interface=\"eth0\"} 1\n"
    "vxtap_flow_log_nodata_total{flow_log_id=\"fl-0123456789abcdef9\","
    "interface=\"we\\\"ird\\\\if\\n\"} 0\n"
    "# HELP vxtap_flow_log_skipdata_total SKIPDATA records written (the flow table was full).\n"
    "# TYPE vxtap_flow_log_skipdata_total counter\n"
    "vxtap_flow_log_skipdata_total{flow_log_id=\"fl-0123456789abcdef4\",interface=\"eth0\"} 1\n"
    "vxtap_flow_log_skipdata_total{flow_log_id=\"fl-0123456789abcdef9\","
    "interface=\"we\\\"ird\\\\if\\n\"} 0\n"
    "# HELP vxtap_flow_log_skipped_packets_total Packets of flows the full flow table could "
    "not take.\n"
    "# TYPE vxtap_flow_log_skipped_packets_total counter\n"
    "vxtap_flow_log_skipped_packets_total{flow_log_id=\"fl-0123456789abcdef4\","
    "interface=\"eth0\"} 20\n"
    "vxtap_flow_log_skipped_packets_total{flow_log_id=\"fl-0123456789abcdef9\","
    "interface=\"we\\\"ird\\\\if\\n\"} 0\n"
    "# HELP vxtap_flow_log_peak_flows Most flows tracked in one aggregation window (summed "
    "over capture workers).\n"
    "# TYPE vxtap_flow_log_peak_flows gauge\n"
    "vxtap_flow_log_peak_flows{flow_log_id=\"fl-0123456789abcdef4\",interface=\"eth0\"} 10\n"
    "vxtap_flow_log_peak_flows{flow_log_id=\"fl-0123456789abcdef9\","
    "interface=\"we\\\"ird\\\\if\\n\"} 0\n"
    "# HELP vxtap_flow_log_files_published_total Log files published.\n"
    "# TYPE vxtap_flow_log_files_published_total counter\n"
    "vxtap_flow_log_files_published_total{flow_log_id=\"fl-0123456789abcdef4\","
    "interface=\"eth0\"} 2\n"
    "vxtap_flow_log_files_published_total{flow_log_id=\"fl-0123456789abcdef9\","
    "interface=\"we\\\"ird\\\\if\\n\"} 0\n"
    "# HELP vxtap_flow_log_records_lost_total Records that could not be delivered.\n"
    "# TYPE vxtap_flow_log_records_lost_total counter\n"
    "vxtap_flow_log_records_lost_total{flow_log_id=\"fl-0123456789abcdef4\","
    "interface=\"eth0\"} 0\n"
    "vxtap_flow_log_records_lost_total{flow_log_id=\"fl-0123456789abcdef9\","
    "interface=\"we\\\"ird\\\\if\\n\"} 3\n"
    "# HELP vxtap_flow_log_write_errors_total Errors writing the destination.\n"
    "# TYPE vxtap_flow_log_write_errors_total counter\n"
    "vxtap_flow_log_write_errors_total{flow_log_id=\"fl-0123456789abcdef4\","
    "interface=\"eth0\"} 0\n"
    "vxtap_flow_log_write_errors_total{flow_log_id=\"fl-0123456789abcdef9\","
    "interface=\"we\\\"ird\\\\if\\n\"} 2\n"
    "# HELP vxtap_flow_log_never_logged_packets_total Packets of traffic AWS does not log "
    "(Amazon DNS, metadata, time sync, DHCP).\n"
    "# TYPE vxtap_flow_log_never_logged_packets_total counter\n"
    "vxtap_flow_log_never_logged_packets_total{flow_log_id=\"fl-0123456789abcdef4\","
    "interface=\"eth0\"} 2\n"
    "vxtap_flow_log_never_logged_packets_total{flow_log_id=\"fl-0123456789abcdef9\","
    "interface=\"we\\\"ird\\\\if\\n\"} 0\n"
    "# HELP vxtap_flow_log_accepted_packets_total Packets the security groups and network "
    "ACLs accepted.\n"
    "# TYPE vxtap_flow_log_accepted_packets_total counter\n"
    "vxtap_flow_log_accepted_packets_total{flow_log_id=\"fl-0123456789abcdef4\","
    "interface=\"eth0\"} 990\n"
    "vxtap_flow_log_accepted_packets_total{flow_log_id=\"fl-0123456789abcdef9\","
    "interface=\"we\\\"ird\\\\if\\n\"} 0\n"
    "# HELP vxtap_flow_log_rejected_packets_total Packets the security groups or network "
    "ACLs rejected.\n"
    "# TYPE vxtap_flow_log_rejected_packets_total counter\n"
    "vxtap_flow_log_rejected_packets_total{flow_log_id=\"fl-0123456789abcdef4\","
    "interface=\"eth0\"} 10\n"
    "vxtap_flow_log_rejected_packets_total{flow_log_id=\"fl-0123456789abcdef9\","
    "interface=\"we\\\"ird\\\\if\\n\"} 0\n"
    "# HELP vxtap_flow_log_tracked_connections Connections the security groups track now.\n"
    "# TYPE vxtap_flow_log_tracked_connections gauge\n"
    "vxtap_flow_log_tracked_connections{flow_log_id=\"fl-0123456789abcdef4\","
    "interface=\"eth0\"} 5\n"
    "vxtap_flow_log_tracked_connections{flow_log_id=\"fl-0123456789abcdef9\","
    "interface=\"we\\\"ird\\\\if\\n\"} 0\n";

static void expect_render(json_t *status, const char *want)
{
	char *got = vx_metrics_render(status);
	assert_non_null(got);
	if (strcmp(got, want)) {
		size_t i = 0;
		while (got[i] && got[i] == want[i])
			i++;
		fail_msg("differs at byte %zu:\n%s\n---- expected\n%s", i, got + i, want + i);
	}
	free(got);
}

static void test_status(void **state)
{
	(void)state;
	json_error_t e;
	json_t *status = json_loads(STATUS, 0, &e);
	if (!status)
		fail_msg("fixture: %s at %d", e.text, e.position);
	expect_render(status, EXPECTED);
	json_decref(status);
}

/* vxtap run --no-mirror before its first configuration: no DataPath, no
 * Applied generation. */
static void test_daemon_without_data_path(void **state)
{
	(void)state;
	json_t *status = json_loads("{\"Pid\": 1, \"StartedAt\": \"2026-11-25T11:30:09Z\", "
	                            "\"AppliedAt\": \"\", \"Reloads\": 0, \"ReloadFailures\": 2, "
	                            "\"Applied\": null, \"LastError\": \"x\"}",
	                            0, NULL);
	assert_non_null(status);
	expect_render(
	    status,
	    "# HELP vxtap_daemon_up Whether the vxtap daemon answered the status query.\n"
	    "# TYPE vxtap_daemon_up gauge\n"
	    "vxtap_daemon_up 1\n"
	    "# HELP vxtap_daemon_reloads_total Configurations the daemon applied, the first "
	    "one included.\n"
	    "# TYPE vxtap_daemon_reloads_total counter\n"
	    "vxtap_daemon_reloads_total 0\n"
	    "# HELP vxtap_daemon_reload_failures_total Configurations the daemon could not "
	    "load or apply.\n"
	    "# TYPE vxtap_daemon_reload_failures_total counter\n"
	    "vxtap_daemon_reload_failures_total 2\n"
	    "# HELP vxtap_daemon_start_time_seconds When the daemon started, in Unix "
	    "seconds.\n"
	    "# TYPE vxtap_daemon_start_time_seconds gauge\n"
	    "vxtap_daemon_start_time_seconds 1795606209.000\n");
	json_decref(status);
}

/* No daemon answered. */
static void test_no_status(void **state)
{
	(void)state;
	expect_render(NULL, "# HELP vxtap_daemon_up Whether the vxtap daemon answered the status "
	                    "query.\n"
	                    "# TYPE vxtap_daemon_up gauge\n"
	                    "vxtap_daemon_up 0\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status),
	    cmocka_unit_test(test_daemon_without_data_path),
	    cmocka_unit_test(test_no_status),
	};
	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
