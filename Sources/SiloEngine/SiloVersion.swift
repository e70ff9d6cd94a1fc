public enum SiloVersion {
    public static let current = "0.1.0"
}
