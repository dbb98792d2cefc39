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

    @Test("emr bench consume --compare-patients: both sizes published and run in turn, each run verified, both medians and their ratio printed")
    func benchConsumeFlatCost() throws {
        let result = try emr(["bench", "consume", "--patients", "8", "--compare-patients", "16", "--partitions", "2", "--runs", "2"])
        let out = result.stdout
        var produced: [Int: Int] = [:]
        for match in out.matches(of: /produced (\d+) records at (\d+) patients/) { produced[Int(match.2)!] = Int(match.1) }
        #expect(produced.count == 2 && produced[8]! > 0 && produced[16]! > produced[8]!, "\(out)")
        // Run by run, one size then the other, each with every record and its own verify.
        let runs = out.matches(of: /\(b\) emr consume at (\d+) patients \(run (\d) of 2\): (\d+) records/).map { (Int($0.1)!, Int($0.2)!, Int($0.3)!) }
        #expect(runs.map(\.0) == [8, 16, 8, 16] && runs.map(\.1) == [1, 1, 2, 2], "\(out)")
        #expect(runs.allSatisfy { produced[$0.0] == $0.2 }, "\(out)")
        #expect(out.components(separatedBy: "verify: all 11 marts").count == 5, "a verify per run: \(out)")
        let medians = Dictionary(uniqueKeysWithValues: out.matches(of: /median of 2 runs at (\d+) patients: (\d+) records\/s/).map { (Int($0.1)!, Double($0.2)!) })
        let ratio = out.firstMatch(of: /flat cost: 16-patient median \/ 8-patient median = ([0-9.]+)/).flatMap { Double($0.1) }
        #expect(medians.count == 2 && ratio != nil, "\(out)")
        if let ratio, let small = medians[8], let large = medians[16], small > 0 {
            #expect(abs(ratio - large / small) < 0.01, "the ratio is the medians': \(out)")
        }
        let refused = try run(try emrExecutable(), ["bench", "consume", "--compare-patients", "16", "--rate", "10"])
        #expect(refused.status == 2, "a usage error exits 2: \(refused.status)")
        #expect(refused.stderr.contains("--compare-patients applies to the throughput run"), "\(refused.stderr)")
    }
}
