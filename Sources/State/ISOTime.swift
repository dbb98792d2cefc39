import Foundation

/// UTC timestamps as `YYYY-MM-DDTHH:MM:SSZ` for bookkeeping columns and manifests.
public enum ISOTime {
    public static func timestamp(seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))Z"
    }

    public static var now: String { timestamp(seconds: Int64(Date().timeIntervalSince1970)) }
}
