import { Alert, Stack, Title } from '@mantine/core';

/** Placeholder stands for a page still to come, saying what will be there. */
export function Placeholder({ title, text }: { title: string; text: string }) {
  return (
    <Stack>
      <Title order={2}>{title}</Title>
      <Alert color="blue">{text}</Alert>
    </Stack>
  );
}
