import { useQuery } from '@tanstack/react-query';
import { api, errorMessage } from '../api/client';

interface ModelEntity {
  name: string;
  attributes?: { name: string; type: string }[];
  targeting?: unknown;
}

/** useDimensionAttributes lists the attributes of the targeting dimension
 * (the model's entity with targeting, else its first), for pickers. */
export function useDimensionAttributes() {
  return useQuery({
    queryKey: ['model'],
    queryFn: async ({ signal }) => {
      const { data, error } = await api.GET('/api/model', { signal });
      if (error) throw new Error(errorMessage(error));
      return data;
    },
    staleTime: 60_000,
    select: (m) => {
      const entities = ((m.model as { entities?: ModelEntity[] }).entities ?? []) as ModelEntity[];
      const dimension = entities.find((e) => e.targeting) ?? entities[0];
      return (dimension?.attributes ?? []).map((a) => a.name);
    },
  });
}
