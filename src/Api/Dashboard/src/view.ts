import { Me } from "./api";
import { Route } from "./router";

export interface ViewContext {
  main: HTMLElement;
  route: Route;
  me: Me | null;
  onSignedIn?: (me: Me) => Promise<void>;
}

/** A page: `mount` draws its frame (title, filters) once; `refresh` redraws its data (every few seconds). */
export interface View {
  name: string;
  refreshMs?: number;
  mount(ctx: ViewContext): Promise<void>;
  refresh(ctx: ViewContext): Promise<void>;
  dispose?(): void;
}
