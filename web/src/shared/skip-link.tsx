/**
 * "Skip to …" as the first tab stop. Focuses its target itself: a fragment jump does not
 * move focus into a text box, and in the console the hash selects the page.
 */
export function SkipLink(props: { targets: string[]; label: string }) {
  return (
    <a
      class="skip-link"
      href={`#${props.targets[0] ?? ''}`}
      onClick={(e) => {
        e.preventDefault();
        for (const id of props.targets) {
          const el = document.getElementById(id);
          if (el) return el.focus();
        }
      }}
    >
      {props.label}
    </a>
  );
}
