import Foundation
import TestSupport
import Testing

/// The benchmark commands run end to end and print their figures (their numbers are not
/// asserted: benchmarks measure, tests do not time).
@Suite("Benchmark commands")
struct BenchCommandsTests {
    @Test("emr bench consume: raw read, the consumer's rate, peak RSS, the per-batch split and a clean verify (each of --runs, with their median); --rate prints latencies")
    func benchConsume() throws {
        let throughput = try emr(["bench", "consume", "--patients", "15", "--partitions", "3", "--runs", "2"])
        for expected in ["(a) raw read", "(b) emr consume (run 1 of 2):", "(b) emr consume (run 2 of 2):", "peak RSS", "per batch: decode",
                         "applying thread's CPU", "(b) median of 2 runs:", "ratio consume/raw read"] {
            #expect(throughput.stdout.contains(expected), "missing '\(expected)': \(throughput.stdout)")
        }
        #expect(throughput.stdout.components(separatedBy: "verify: all 11 marts").count == 3, "a verify per run: \(throughput.stdout)")
        let records = throughput.stdout.matches(of: /\(b\) emr consume[^:]*: (\d+) records/).compactMap { Int($0.1) }
        let produced = throughput.stdout.firstMatch(of: /produced (\d+) records/).flatMap { Int($0.1) } ?? -1
        #expect(records.count == 2 && records.allSatisfy { $0 > 0 && $0 == produced }, "\(throughput.stdout)")
        let latency = try emr(["bench", "consume", "--patients", "5", "--rate", "500"])
        #expect(latency.stdout.firstMatch(of: /Kafka timestamp to commit p50 \d+ ms, p99 \d+ ms, max \d+ ms/) != nil, "\(latency.stdout)")
        #expect(latency.stdout.contains("verify: all 11 marts"))
    }
}
