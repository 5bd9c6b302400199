package io.kuberaft.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ReportTest {
    @Test
    void storeReportHasTheContractFieldsAndRatios() throws Exception {
        StoreBenchReport r = new StoreBenchReport(List.of(
                new RunResult("kuberaft", "put", 64, 1000, 10, 40, 10000, 0, 10, 2.5, 0.5),
                new RunResult("etcd", "put", 64, 2000, 5, 20, 20000, 0, 10, 0.5, 0.5)));
        String json = r.toJson();
        assertThat(json).contains("\"runs\"", "\"system\" : \"kuberaft\"", "\"op\" : \"put\"", "\"clients\" : 64",
                "\"ops_per_s\" : 1000.0", "\"p50_ms\" : 10.0", "\"p99_ms\" : 40.0");
        assertThat(StoreBenchReport.fromJson(json)).isEqualTo(r);
        assertThat(r.table()).contains("| put | 64 | 1000 | 2000 | 0.50 | 10.00 | 5.00 | 2.00 | 40.00 | 20.00 | 2.00 |",
                "| put | 64 | 2.500 | 0.500 | 5.00 | 0.500 | 0.500 |");
    }

    @Test
    void failoverSummary() {
        FailoverReport r = FailoverReport.of("kuberaft", List.of(
                new FailoverReport.Kill(1, "m1", 1, 1500, "m2"),
                new FailoverReport.Kill(2, "m2", 2, 2500, "m3"),
                new FailoverReport.Kill(3, "m3", 3, 1200, "m1")));
        assertThat(r.minMs()).isEqualTo(1200);
        assertThat(r.medianMs()).isEqualTo(1500);
        assertThat(r.maxMs()).isEqualTo(2500);
        assertThat(r.pass()).isTrue();
        assertThat(FailoverReport.of("kuberaft", List.of(new FailoverReport.Kill(1, "m1", 1, -1, null))).pass()).isFalse();
    }

    @Test
    void etcdArchitectures() {
        assertThat(EtcdReferenceCluster.goArch("amd64")).isEqualTo("amd64");
        assertThat(EtcdReferenceCluster.goArch("aarch64")).isEqualTo("arm64");
    }
}
