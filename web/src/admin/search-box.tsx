import { useState } from 'preact/hooks';

/** A labelled search field; submits on Enter. */
export function SearchBox(props: { id: string; label: string; onSearch: (q: string) => void }) {
  const [q, setQ] = useState('');
  return (
    <form
      class="row search"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSearch(q.trim());
      }}
    >
      <label for={props.id}>{props.label}</label>
      <input id={props.id} type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
      <button type="submit">Search</button>
    </form>
  );
}
