/** The lock of end-to-end encrypted rooms (room list and room header). */
export function Lock() {
  return (
    <span class="lock" role="img" aria-label="end-to-end encrypted" title="End-to-end encrypted">
      🔒
    </span>
  );
}
