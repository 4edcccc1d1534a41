/// Which address a request came from, for counting failed sign-ins: the socket's peer, unless that peer is one of
/// the operator's own proxies (`TRUSTED_PROXIES`); then the right-most `X-Forwarded-For` entry that is not one of them,
/// since everything left of it was written by the client and may be anything.
public enum ClientAddress {
    public static func resolve(peer: String?, forwardedFor headers: [String], trusted: [AddressRange]) -> String {
        guard let peer, let peerBytes = bytes(of: peer) else { return peer.map(normalised) ?? "unknown" }
        guard trusted.contains(where: { $0.contains(peerBytes) }) else { return text(of: peerBytes) }
        let entries = headers.flatMap { $0.split(separator: ",") }.map { String($0).trimmed }.filter { !$0.isEmpty }
        for entry in entries.reversed() {
            guard let address = bytes(of: entry) else { return normalised(entry) }
            if !trusted.contains(where: { $0.contains(address) }) { return text(of: address) }
        }
        return entries.first.flatMap(bytes(of:)).map(text(of:)) ?? text(of: peerBytes)
    }

    /// An address as 4 (IPv4) or 16 (IPv6) bytes; an IPv4 address mapped into IPv6 comes back as IPv4.
    public static func bytes(of text: String) -> [UInt8]? {
        var text = text
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") { text = String(text[text.index(after: text.startIndex)..<close]) }
        if let percent = text.firstIndex(of: "%") { text = String(text[..<percent]) }
        if let v4 = ipv4(text) { return v4 }
        guard let v6 = ipv6(text) else { return nil }
        if v6.prefix(10).allSatisfy({ $0 == 0 }), v6[10] == 0xFF, v6[11] == 0xFF { return Array(v6.suffix(4)) }
        return v6
    }

    static func ipv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    static func ipv6(_ text: String) -> [UInt8]? {
        guard text.contains(":"), text.count <= 45 else { return nil }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt8]? {
            if part.isEmpty { return [] }
            var bytes: [UInt8] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains("."), let v4 = ipv4(String(piece)) { bytes += v4; continue }
                guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            return bytes
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 14 else { return nil }
        return head + Array(repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    static func text(of bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
    }

    /// Something that is no address, kept short and printable: still one key per sender.
    private static func normalised(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.isASCII && $0.value > 32 && $0.value < 127 }.prefix(64).map(Character.init))
    }
}

/// One entry of `TRUSTED_PROXIES`: an address, or a network in CIDR notation (`10.0.0.0/8`, `fd00::/8`).
public struct AddressRange: Sendable, Equatable {
    public var network: [UInt8]
    public var prefixLength: Int

    public init?(_ text: String) {
        let parts = text.trimmed.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let network = ClientAddress.bytes(of: String(first)) else { return nil }
        let length = parts.count == 2 ? Int(parts[1]) : network.count * 8
        guard let length, (0...(network.count * 8)).contains(length) else { return nil }
        self.network = network
        prefixLength = length
    }

    public func contains(_ address: [UInt8]) -> Bool {
        guard address.count == network.count else { return false }
        var remaining = prefixLength
        for (a, b) in zip(address, network) where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if a & mask != b & mask { return false }
            remaining -= bits
        }
        return true
    }
}
