import { gql } from '@apollo/client';

/** Every field of a `Todo` the app keeps: the contract's `Todo` type, nothing more. */
export const TODO_FIELDS = gql`
  fragment TodoFields on Todo {
    id
    title
    completed
    createdAt
    updatedAt
    version
  }
`;
