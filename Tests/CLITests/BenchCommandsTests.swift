import Foundation
import TestSupport
import Testing

/// The benchmark commands run end to end and print their figures (their numbers are not
/// asserted: benchmarks measure, tests do not time).
@Suite("Benchmark commands")
struct BenchCommandsTests {
    @Test("emr bench consume: raw read, the consumer's rate, peak RSS, the per-batch split and a clean verify; --rate prints latencies")
    func benchConsume() throws {
        let throughput = try emr(["bench", "consume", "--patients", "15", "--partitions", "3"])
        for expected in ["(a) raw read", "(b) emr consume:", "peak RSS", "per batch: decode", "applying thread's CPU", "ratio consume/raw read", "verify: all 11 marts"] {
            #expect(throughput.stdout.contains(expected), "missing '\(expected)': \(throughput.stdout)")
        }
        let records = throughput.stdout.firstMatch(of: /\(b\) emr consume: (\d+) records/).flatMap { Int($0.1) } ?? 0
        let produced = throughput.stdout.firstMatch(of: /produced (\d+) records/).flatMap { Int($0.1) } ?? -1
        #expect(records > 0 && records == produced, "\(throughput.stdout)")
        let latency = try emr(["bench", "consume", "--patients", "5", "--rate", "500"])
        #expect(latency.stdout.firstMatch(of: /Kafka timestamp to commit p50 \d+ ms, p99 \d+ ms, max \d+ ms/) != nil, "\(latency.stdout)")
        #expect(latency.stdout.contains("verify: all 11 marts"))
    }
}
