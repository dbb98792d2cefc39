import Foundation
import Prometheus
import Synchronization

/// The standard `process_*` metrics, read from /proc/self on Linux (swift-prometheus offers
/// none): CPU seconds, resident memory, open file descriptors, start time.
public final class ProcessMetrics: Sendable {
    /// This process's peak resident set size in MB, for summaries at exit: `VmHWM` of
    /// /proc/self/status. Not getrusage's `ru_maxrss`, which Linux keeps across fork and exec:
    /// a child of a large parent (`emr bench consume`'s consumer) reported the parent's peak
    /// (303 MB where the consumer itself never passed 117 MB).
    public static var peakResidentMB: Double {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) {
            return kilobytes / 1024
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
    }

    private let cpu: Counter
    private let resident: Gauge
    private let openFDs: Gauge
    private let startTime: Gauge
    private let cpuSeen = Mutex<Double>(0)

    init(registry: PrometheusCollectorRegistry) {
        cpu = registry.makeCounter(name: "process_cpu_seconds_total", labels: [], help: "Total user and system CPU time spent in seconds")
        resident = registry.makeGauge(name: "process_resident_memory_bytes", labels: [], help: "Resident memory size in bytes")
        openFDs = registry.makeGauge(name: "process_open_fds", labels: [], help: "Number of open file descriptors")
        startTime = registry.makeGauge(name: "process_start_time_seconds", labels: [], help: "Start time of the process since the Unix epoch in seconds")
    }

    func refresh() {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return }
        // Fields after the command name, numbered from 3 (state) as in proc(5).
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ number: Int) -> Double { Double(fields[number - 3]) ?? 0 }
        guard fields.count > 22 else { return }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let total = (field(14) + field(15)) / ticks
        let delta = cpuSeen.withLock { seen -> Double in
            defer { seen = max(seen, total) }
            return max(0, total - seen)
        }
        if delta > 0 { cpu.increment(by: delta) }
        resident.set(field(24) * Double(sysconf(Int32(_SC_PAGESIZE))))
        if let boot = Self.bootTime { startTime.set(boot + field(22) / ticks) }
        openFDs.set(Double((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0))
    }

    private static let bootTime: Double? = {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        return stat.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Double($0.dropFirst(6)) }
    }()
}
